import { expect } from 'chai';
import { type BertModelDirOptions, writeBertModelDir } from '../../../models/src/fixtures/bert.js';
import { loadModel } from '../../../runtime/src/engine/load.js';
import type { LoadedModel } from '../../../runtime/src/engine/model.js';
import { ModelLoadFailedError } from '../../../runtime/src/errors.js';
import { TempDirs } from '../../models/helpers/tmp.js';

const OPTIONS = {
  engine: { executionProvider: 'cpu', cudaDeviceId: 0 },
  batching: { maxBatchSize: 8, maxBatchWaitMs: 0, maxQueueSize: 64 },
} as const;

const SMALL: BertModelDirOptions = { layers: 1, hidden: 8, heads: 2, ffn: 16, maxPositions: 32 };
const module = (type: string, path: string) => ({ path, type: `sentence_transformers.models.${type}` });
const pooling = (modes: Record<string, boolean>) => ({ word_embedding_dimension: 8, ...modes });

describe('loading encoders: what the sentence-transformers files make of the graph', () => {
  const tmp = new TempDirs();
  const loaded: LoadedModel[] = [];
  after(async () => {
    for (const m of loaded) await m.release();
    tmp.removeAll();
  });
  const load = async (options: BertModelDirOptions) => {
    const dir = tmp.make('encoder');
    await writeBertModelDir(dir, { ...SMALL, ...options });
    const model = await loadModel(dir, {}, OPTIONS);
    loaded.push(model);
    return model;
  };

  it('concatenates several pooling modes: cls + mean gives twice the hidden size', async () => {
    const model = await load({
      extraFiles: {
        'modules.json': [module('Transformer', ''), module('Pooling', '1_Pooling')],
        '1_Pooling/config.json': pooling({ pooling_mode_cls_token: true, pooling_mode_mean_tokens: true }),
      },
    });
    expect(model.engine).to.include({ task: 'embed', dim: 16, normalize: false });
    const { embeddings } = await model.embed(['the quick brown fox'], undefined);
    expect(embeddings[0]).to.have.length(16);
  });

  const refused: [string, BertModelDirOptions, string][] = [
    [
      'a Dense module after pooling with only token states in the graph',
      {
        extraFiles: {
          'modules.json': [
            module('Transformer', ''),
            module('Pooling', '1_Pooling'),
            module('Dense', '2_Dense'),
          ],
          '1_Pooling/config.json': pooling({ pooling_mode_mean_tokens: true }),
        },
      },
      'modules.json has module(s) Dense after pooling, which only a graph output sentence_embedding can apply',
    ],
    [
      'weighted-mean pooling',
      {
        extraFiles: {
          'modules.json': [module('Transformer', ''), module('Pooling', '1_Pooling')],
          '1_Pooling/config.json': pooling({ pooling_mode_weightedmean_tokens: true }),
        },
      },
      '1_Pooling/config.json turns on pooling_mode_weightedmean_tokens',
    ],
    [
      'an embedder without token states',
      { outputs: ['logits'], architecture: 'BertModel' },
      'lacks an output to embed',
    ],
  ];
  for (const [given, options, message] of refused) {
    it(`refuses ${given} at load: "${message}"`, async () => {
      const err = await load(options).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(ModelLoadFailedError);
      expect((err as Error).message).to.include(message);
    });
  }

  it('serves a Dense module when the graph has sentence_embedding (the export applied it)', async () => {
    const model = await load({
      outputs: ['token_embeddings', 'sentence_embedding'],
      extraFiles: {
        'modules.json': [
          module('Transformer', ''),
          module('Pooling', '1_Pooling'),
          module('Dense', '2_Dense'),
        ],
        '1_Pooling/config.json': pooling({ pooling_mode_mean_tokens: true }),
      },
    });
    expect(model.engine).to.include({ task: 'embed', dim: 8 });
  });
});
