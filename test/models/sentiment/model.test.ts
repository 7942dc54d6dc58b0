import { expect } from 'chai';
import * as ort from 'onnxruntime-node';
import { Tape } from '../../../models/src/autograd/tensor.js';
import { pack } from '../../../models/src/bert/encoder.js';
import { classifierLogits, exportClassifier, trainClassifier } from '../../../models/src/sentiment/model.js';
import { trainWordPiece } from '../../../models/src/tokenizers/wordpiece.js';
import { expectAllClose } from '../helpers/assert.js';

const TEXTS = ['good great fun', 'bad awful', 'great day', 'awful bad day'];
const LABELS = Int32Array.from([1, 0, 1, 0]);

describe('sentiment classifier', () => {
  const tok = trainWordPiece(TEXTS, { minCount: 1 });
  const packed = pack(tok, TEXTS);
  const spec = { width: 8, steps: 40, lr: 0.05, seed: 3 };

  it('fits its training sentences and is repeatable', () => {
    const a = trainClassifier(packed, LABELS, tok.vocab.length, spec);
    expect(a.finalLoss).to.be.below(0.1);
    expect(trainClassifier(packed, LABELS, tok.vocab.length, spec).finalLoss).to.equal(a.finalLoss);
  });

  it('exports a graph whose padded-batch logits equal the training forward pass', async () => {
    const m = trainClassifier(packed, LABELS, tok.vocab.length, { ...spec, steps: 5 });
    const expected = classifierLogits(new Tape(), m.params, packed).data;
    const session = await ort.InferenceSession.create(exportClassifier(m.params, ''));
    const ids = TEXTS.map((t) => tok.encode(t));
    const S = Math.max(...ids.map((r) => r.length));
    const grid = (f: (r: number[], j: number) => number): ort.Tensor =>
      new ort.Tensor(
        'int64',
        BigInt64Array.from(ids.flatMap((r) => Array.from({ length: S }, (_, j) => BigInt(f(r, j))))),
        [ids.length, S],
      );
    const out = await session.run({
      input_ids: grid((r, j) => r[j] ?? 0),
      attention_mask: grid((r, j) => (j < r.length ? 1 : 0)),
      token_type_ids: grid(() => 0),
    });
    expectAllClose(out.logits!.data as Float32Array, expected, 1e-5);
  });
});
