/**
 * The exported GPT-2 graph computes the trained function (against the autograd forward pass), and its
 * KV cache and padding mask behave, on small random weights so no training is needed.
 */
import { expect } from 'chai';
import { Tape } from '../../../models/src/autograd/tensor.js';
import { exportGpt2 } from '../../../models/src/story-writer/graph.js';
import { type Gpt2Config, gpt2Logits, initGpt2 } from '../../../models/src/story-writer/model.js';
import { Rng } from '../../../models/src/util/rng.js';
import { type Lm, loadLmBytes, maxAbsDiff, row, run } from '../helpers/ort-lm.js';

const CFG: Gpt2Config = { nLayer: 2, nHead: 4, nEmbd: 16, nPositions: 12, vocabSize: 23 };

describe('GPT-2 ONNX export', () => {
  const rng = new Rng(11);
  const params = initGpt2(CFG, rng);
  for (const p of params.all)
    for (let i = 0; i < p.t.size; i++) p.t.data[i] = p.t.data[i]! + rng.normal() * 0.2;
  let lm: Lm;
  before(async () => {
    lm = await loadLmBytes(exportGpt2(params, CFG, 'test'), {
      n_layer: CFG.nLayer,
      n_head: CFG.nHead,
      n_embd: CFG.nEmbd,
      n_positions: CFG.nPositions,
      vocab_size: CFG.vocabSize,
      eos_token_id: CFG.vocabSize - 1,
    });
  });
  const ids = [3, 7, 11, 2, 9, 20, 1];
  const ones = (n: number): number[] => Array<number>(n).fill(1);
  const range = (from: number, to: number): number[] => Array.from({ length: to - from }, (_, i) => from + i);

  it('computes the logits of the autograd forward pass it was trained with', async () => {
    const expected = gpt2Logits(new Tape(), params, CFG, {
      ids: Int32Array.from(ids),
      batch: 1,
      seq: ids.length,
    });
    const out = await run(lm, [ids], [ones(ids.length)], [range(0, ids.length)]);
    expect(maxAbsDiff(out.logits, expected.data)).to.be.below(1e-4);
  });

  it('gives cached decoding, one token at a time, the logits of the full pass', async () => {
    const full = await run(lm, [ids], [ones(ids.length)], [range(0, ids.length)]);
    let step = await run(lm, [ids.slice(0, 2)], [ones(2)], [range(0, 2)]);
    for (let t = 2; t < ids.length; t++) {
      step = await run(lm, [[ids[t]!]], [ones(t + 1)], [[t]], step.past);
      expect(maxAbsDiff(row(step, CFG.vocabSize, 0, 0), row(full, CFG.vocabSize, 0, t))).to.be.below(1e-5);
    }
    expect(step.past['past_key_values.1.key']!.dims).to.deep.equal([
      1,
      CFG.nHead,
      ids.length,
      CFG.nEmbd / CFG.nHead,
    ]);
  });

  it('ignores left padding and stays finite on fully masked rows', async () => {
    const padded = await run(
      lm,
      [[0, 0, ...ids]],
      [[0, 0, ...ones(ids.length)]],
      [[1, 1, ...range(0, ids.length)]],
    );
    const plain = await run(lm, [ids], [ones(ids.length)], [range(0, ids.length)]);
    for (let t = 0; t < ids.length; t++) {
      expect(maxAbsDiff(row(padded, CFG.vocabSize, 0, t + 2), row(plain, CFG.vocabSize, 0, t))).to.be.below(
        1e-5,
      );
    }
    expect(Array.from(padded.logits).every(Number.isFinite)).to.equal(true);
  });

  it('treats a masked key in the middle of the past as absent', async () => {
    const masked = await run(lm, [[ids[0]!, 5, ids[1]!]], [[1, 0, 1]], [[0, 1, 1]]);
    const plain = await run(lm, [ids.slice(0, 2)], [ones(2)], [range(0, 2)]);
    expect(maxAbsDiff(row(masked, CFG.vocabSize, 0, 2), row(plain, CFG.vocabSize, 0, 1))).to.be.below(1e-5);
  });
});
