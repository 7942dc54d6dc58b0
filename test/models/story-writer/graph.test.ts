/**
 * The exported GPT-2 graph computes the trained function (against the autograd forward pass), and its
 * KV cache, padding mask, ALiBi positions and sliding attention window behave, on small random weights
 * so no training is needed.
 */
import { expect } from 'chai';
import { Tape } from '../../../models/src/autograd/tensor.js';
import { exportGpt2 } from '../../../models/src/story-writer/graph.js';
import { type Gpt2Config, gpt2Logits, initGpt2 } from '../../../models/src/story-writer/model.js';
import { Rng } from '../../../models/src/util/rng.js';
import { type Lm, loadLmBytes, maxAbsDiff, row, run } from '../helpers/ort-lm.js';

const CFG: Gpt2Config = { nLayer: 2, nHead: 4, nEmbd: 16, nPositions: 40, vocabSize: 23, attentionWindow: 8 };

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
  // As long as the attention window, so the autograd pass (which has no window) computes the same function.
  const ids = [3, 7, 11, 2, 9, 20, 1, 14];
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

  it('takes no position_ids: ALiBi biases stand in for position embeddings', () => {
    expect(lm.session.inputNames.slice(0, 2)).to.deep.equal(['input_ids', 'attention_mask']);
    expect(lm.session.inputNames).to.not.include('position_ids');
  });

  it('gives a text the same logits wherever it stands in the context once the window is full', async () => {
    // Each layer sees window - 1 tokens back, so nothing further back than layers·(window - 1) reaches
    // the last logits; and ALiBi depends only on distances, so they do not change with what, or how
    // much, came before.
    const text = [5, 9, 2, 17, 4, 4, 12, 8, 1, 19, 6, 13, 0, 10, 21, 3];
    expect(text.length).to.be.above(CFG.nLayer * (CFG.attentionWindow! - 1));
    const prefixes = [
      [],
      [7],
      [7, 3, 21, 0, 11, 11, 2, 6, 9, 14, 15, 3],
      Array.from({ length: 28 }, (_, i) => i % 23),
    ];
    const last = async (prefix: number[]): Promise<Float32Array> => {
      const all = [...prefix, ...text];
      const out = await run(lm, [all], [ones(all.length)], [range(0, all.length)]);
      return row(out, CFG.vocabSize, 0, all.length - 1);
    };
    const alone = await last([]);
    for (const prefix of prefixes.slice(1)) expect(maxAbsDiff(await last(prefix), alone)).to.be.below(1e-5);
    // A token inside the window does matter.
    const changed = [...text];
    changed[text.length - 3] = 22;
    const out = await run(lm, [changed], [ones(changed.length)], [range(0, changed.length)]);
    expect(maxAbsDiff(row(out, CFG.vocabSize, 0, changed.length - 1), alone)).to.be.above(1e-3);
  });

  it('counts the window in unmasked tokens: a padded long row equals the row alone, also cached', async () => {
    const long = Array.from({ length: 14 }, (_, i) => (i * 5) % 23);
    const padded = await run(
      lm,
      [[0, 0, 0, ...long]],
      [[0, 0, 0, ...ones(long.length)]],
      [[1, 1, 1, ...range(0, long.length)]],
    );
    const plain = await run(lm, [long], [ones(long.length)], [range(0, long.length)]);
    for (let t = 0; t < long.length; t++) {
      expect(maxAbsDiff(row(padded, CFG.vocabSize, 0, t + 3), row(plain, CFG.vocabSize, 0, t))).to.be.below(
        1e-5,
      );
    }
    const stepPadded = await run(
      lm,
      [[4]],
      [[0, 0, 0, ...ones(long.length + 1)]],
      [[long.length]],
      padded.past,
    );
    const stepPlain = await run(lm, [[4]], [ones(long.length + 1)], [[long.length]], plain.past);
    expect(maxAbsDiff(row(stepPadded, CFG.vocabSize, 0, 0), row(stepPlain, CFG.vocabSize, 0, 0))).to.be.below(
      1e-5,
    );
  });

  it('treats a masked key in the middle of the past as absent', async () => {
    const masked = await run(lm, [[ids[0]!, 5, ids[1]!]], [[1, 0, 1]], [[0, 1, 1]]);
    const plain = await run(lm, [ids.slice(0, 2)], [ones(2)], [range(0, 2)]);
    expect(maxAbsDiff(row(masked, CFG.vocabSize, 0, 2), row(plain, CFG.vocabSize, 0, 1))).to.be.below(1e-5);
  });
});
