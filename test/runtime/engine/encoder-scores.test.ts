/**
 * How class scores come from logits: transformers' text-classification pipeline's default rule (softmax,
 * sigmoid for multi-label and single-logit models such as cross-encoder rerankers, raw values for regression).
 */
import { join } from 'node:path';
import { expect } from 'chai';
import * as ort from 'onnxruntime-node';
import { ENCODER_FIXTURES } from '../../../models/src/fixtures/encoders.js';
import { type ScoreFunction, scoreFunctionOf } from '../../../runtime/src/engine/encoder.js';
import { loadModel } from '../../../runtime/src/engine/load.js';
import type { LoadedModel } from '../../../runtime/src/engine/model.js';
import { TempDirs } from '../../models/helpers/tmp.js';

const OPTIONS = {
  engine: { executionProvider: 'cpu', cudaDeviceId: 0 },
  batching: { maxBatchSize: 8, maxBatchWaitMs: 0, maxQueueSize: 64 },
} as const;

describe('encoder class scores', () => {
  const rule: [unknown, number, ScoreFunction][] = [
    [undefined, 1, 'sigmoid'],
    [undefined, 2, 'softmax'],
    [undefined, 5, 'softmax'],
    ['single_label_classification', 2, 'softmax'],
    ['single_label_classification', 1, 'sigmoid'],
    ['multi_label_classification', 1, 'sigmoid'],
    ['multi_label_classification', 4, 'sigmoid'],
    ['regression', 1, 'none'],
    ['regression', 3, 'none'],
  ];
  for (const [problemType, classes, want] of rule) {
    it(`scoreFunctionOf: problem_type ${problemType ?? '(none)'}, ${classes} column(s) -> ${want}`, () => {
      expect(scoreFunctionOf(problemType, classes)).to.equal(want);
    });
  }

  describe('a one-label reranker (reranker-one-label: num_labels 1, no problem_type)', () => {
    const tmp = new TempDirs();
    let model: LoadedModel;
    let session: ort.InferenceSession;
    before(async () => {
      const dir = tmp.make('reranker');
      await ENCODER_FIXTURES['reranker-one-label']!(dir);
      model = await loadModel(dir, {}, OPTIONS);
      session = await ort.InferenceSession.create(join(dir, 'onnx/model.onnx'));
    });
    after(async () => {
      await model?.release();
      await session?.release();
      tmp.removeAll();
    });

    it('scores each text with the sigmoid of its one logit, not a softmax of one value (1.0)', async () => {
      const texts = ['The quick brown fox jumps over the lazy dog.', 'Cats and dogs sleep in the warm sun.'];
      expect(model.engine.task).to.equal('classify');
      const { probs } = await model.classify(texts);
      for (const [r, text] of texts.entries()) {
        const { ids } = model.tokenize(text);
        const feed = (values: number[]) =>
          new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, values.length]);
        const out = await session.run({
          input_ids: feed(ids),
          attention_mask: feed(ids.map(() => 1)),
          token_type_ids: feed(ids.map(() => 0)),
        });
        const logit = (out.logits!.data as Float32Array)[0]!;
        expect(probs[r]).to.have.length(1);
        expect(probs[r]![0]).to.be.closeTo(1 / (1 + Math.exp(-logit)), 1e-5);
        expect(probs[r]![0]).to.not.equal(1);
      }
    });
  });
});
