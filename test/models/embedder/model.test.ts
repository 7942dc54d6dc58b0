import { expect } from 'chai';
import * as ort from 'onnxruntime-node';
import { Tape } from '../../../models/src/autograd/tensor.js';
import { pack } from '../../../models/src/bert/encoder.js';
import { exportEmbedder, hiddenStates, trainEmbedder } from '../../../models/src/embedder/model.js';
import { trainWordPiece } from '../../../models/src/tokenizers/wordpiece.js';
import { expectAllClose } from '../helpers/assert.js';

const TEXTS = ['rain and wind', 'wind and snow', 'goal and match', 'match and team'];
const GROUPS = Int32Array.from([0, 0, 1, 1]);

describe('sentence embedder', () => {
  const tok = trainWordPiece(TEXTS, { minCount: 1 });
  const packed = pack(tok, TEXTS);
  const spec = { width: 8, steps: 40, lr: 0.05, temperature: 0.1, seed: 3 };

  it('reaches the contrastive floor, where each sentence spreads its mass over its one positive', () => {
    // With one positive per sentence the loss bottoms out at 0, not at log(positives).
    expect(trainEmbedder(packed, GROUPS, tok.vocab.length, spec).finalLoss).to.be.below(0.05);
  });

  it('exports last_hidden_state equal to the training hidden states, zero at padding', async () => {
    const m = trainEmbedder(packed, GROUPS, tok.vocab.length, { ...spec, steps: 5 });
    const expected = hiddenStates(new Tape(), m.params, pack(tok, [TEXTS[0]!])).data;
    const session = await ort.InferenceSession.create(exportEmbedder(m.params, ''));
    const ids = tok.encode(TEXTS[0]!);
    const S = ids.length + 2;
    const t = (f: (j: number) => number): ort.Tensor =>
      new ort.Tensor(
        'int64',
        BigInt64Array.from({ length: S }, (_, j) => BigInt(f(j))),
        [1, S],
      );
    const out = await session.run({
      input_ids: t((j) => ids[j] ?? 0),
      attention_mask: t((j) => (j < ids.length ? 1 : 0)),
      token_type_ids: t(() => 0),
    });
    const h = out.last_hidden_state!.data as Float32Array;
    expectAllClose(h.subarray(0, expected.length), expected, 1e-6);
    for (let i = expected.length; i < h.length; i++) expect(h[i]).to.equal(0);
  });
});
