/**
 * fp16 encoder exports (Xenova's onnx/model_fp16.onnx): int64 inputs, float16 outputs, which onnxruntime-node
 * gives as raw halves. Served with `dtype: fp16`, they must score and embed as the fp32 graph of the same
 * weights does, within float16's precision.
 */
import { expect } from 'chai';
import { type BertModelDirOptions, writeBertModelDir } from '../../../models/src/fixtures/bert.js';
import { ENCODER_FIXTURES } from '../../../models/src/fixtures/encoders.js';
import { checkEncoder } from '../../../runtime/src/engine/layout.js';
import { loadModel } from '../../../runtime/src/engine/load.js';
import type { LoadedModel } from '../../../runtime/src/engine/model.js';
import { ModelLoadFailedError } from '../../../runtime/src/errors.js';
import { TempDirs } from '../../models/helpers/tmp.js';

const OPTIONS = {
  engine: { executionProvider: 'cpu', cudaDeviceId: 0 },
  batching: { maxBatchSize: 8, maxBatchWaitMs: 0, maxQueueSize: 64 },
} as const;

const TEXTS = ['The quick brown fox jumps over the lazy dog.', 'Cats and dogs sleep in the warm sun.', 'it'];

/** float16 keeps 11 significant bits: a relative error of 2^-11, plus a little for what follows. */
const expectNear = (actual: readonly number[][], expected: readonly number[][]) => {
  expect(actual).to.have.length(expected.length);
  for (const [r, row] of actual.entries()) {
    expect(row).to.have.length(expected[r]!.length);
    for (const [i, x] of row.entries()) {
      const want = expected[r]![i]!;
      expect(x, `row ${r} [${i}]`).to.be.closeTo(want, 2e-3 * Math.max(1, Math.abs(want)));
    }
  }
};

const SMALL: BertModelDirOptions = { layers: 1, hidden: 8, heads: 2, ffn: 16, maxPositions: 32 };
const module = (type: string, path: string) => ({ path, type: `sentence_transformers.models.${type}` });

describe('fp16 encoder exports: float16 outputs read as the fp32 graph reads', () => {
  const tmp = new TempDirs();
  const loaded: LoadedModel[] = [];
  after(async () => {
    for (const m of loaded) await m.release();
    tmp.removeAll();
  });
  const loadBoth = async (dir: string) => {
    const fp32 = await loadModel(dir, { dtype: 'fp32' }, OPTIONS);
    loaded.push(fp32);
    const fp16 = await loadModel(dir, { dtype: 'fp16' }, OPTIONS);
    loaded.push(fp16);
    return { fp32, fp16 };
  };

  it('distilbert-sst2-fp16: classify with dtype fp16 gives the fp32 graph scores', async () => {
    const dir = tmp.make('sst2-fp16');
    await ENCODER_FIXTURES['distilbert-sst2-fp16']!(dir);
    const { fp32, fp16 } = await loadBoth(dir);
    const expected = (await fp32.classify(TEXTS)).probs;
    const actual = (await fp16.classify(TEXTS)).probs;
    expectNear(actual, expected);
    // Not a degenerate answer that happens to match: the fp32 scores are not one-hot.
    for (const row of expected) expect(Math.max(...row)).to.be.below(0.999);
  });

  const embedders: [string, BertModelDirOptions][] = [
    ['sentence_embedding (the graph pools)', { outputs: ['token_embeddings', 'sentence_embedding'] }],
    [
      'last_hidden_state mean-pooled here',
      {
        extraFiles: {
          'modules.json': [module('Transformer', ''), module('Pooling', '1_Pooling')],
          '1_Pooling/config.json': { word_embedding_dimension: 8, pooling_mode_mean_tokens: true },
        },
      },
    ],
    ['token_embeddings cls-pooled here', { outputs: ['token_embeddings'], withTokenTypeIds: false }],
  ];
  for (const [given, options] of embedders) {
    it(`embed from float16 ${given} gives the fp32 graph vectors`, async () => {
      const dir = tmp.make('embed-fp16');
      await writeBertModelDir(dir, { ...SMALL, seed: 5, withFp16Graph: true, ...options });
      const { fp32, fp16 } = await loadBoth(dir);
      expect(fp16.engine).to.include({ task: 'embed', dim: 8 });
      const expected = (await fp32.embed(TEXTS, false)).embeddings;
      expectNear((await fp16.embed(TEXTS, false)).embeddings, expected);
      expectNear((await fp16.embed(TEXTS, true)).embeddings, (await fp32.embed(TEXTS, true)).embeddings);
    });
  }

  const tensor = (name: string, type: string) => ({ name, type, shape: ['batch_size', 2] });
  for (const [task, output] of [
    ['classify', 'logits'],
    ['embed', 'sentence_embedding'],
  ] as const) {
    it(`refuses at load a ${task} output ${output} that is neither float32 nor float16, naming it and its type`, () => {
      const io = { inputs: [tensor('input_ids', 'int64')], outputs: [tensor(output, 'int64')] };
      expect(() => checkEncoder(io, task))
        .to.throw(ModelLoadFailedError)
        .with.property('message')
        .that.includes(`output ${output} is int64`);
    });
  }

  it('accepts float16 and float32 outputs', () => {
    for (const type of ['float16', 'float32']) {
      const io = { inputs: [tensor('input_ids', 'int64')], outputs: [tensor('logits', type)] };
      expect(checkEncoder(io, 'classify').name).to.equal('logits');
    }
  });
});
