import { expect } from 'chai';
import {
  type ConfigDims,
  type DecoderLayout,
  decoderLayout,
  type KvCacheLayout,
} from '../../../runtime/src/engine/layout.js';
import { decoderDims, type HfConfig } from '../../../runtime/src/engine/model-files.js';
import type { SessionIO, TensorInfo } from '../../../runtime/src/engine/session.js';
import { ModelLoadFailedError } from '../../../runtime/src/errors.js';

const t = (name: string, shape: (number | string)[] = [], type = 'float32'): TensorInfo => ({
  name,
  type,
  shape,
});

const ids = (name: string, length = 'sequence_length') => t(name, ['batch_size', length], 'int64');

/** The inputs and outputs onnxruntime reports for a 2-layer decoder export, cache dims as given. */
function decoder(
  cache: (number | string)[] | undefined,
  options: { type?: string; logits?: string; extra?: TensorInfo[]; positionIds?: boolean } = {},
): SessionIO {
  const type = options.type ?? 'float32';
  const layers = cache ? [0, 1] : [];
  const kinds = ['key', 'value'];
  return {
    inputs: [
      ids('input_ids'),
      ids('attention_mask', 'total_sequence_length'),
      ...(options.positionIds === false ? [] : [ids('position_ids')]),
      ...layers.flatMap((i) => kinds.map((k) => t(`past_key_values.${i}.${k}`, cache ?? [], type))),
      ...(options.extra ?? []),
    ],
    outputs: [
      t('logits', ['batch_size', 'sequence_length', 317], options.logits ?? 'float32'),
      ...layers.flatMap((i) => kinds.map((k) => t(`present.${i}.${k}`, [], type))),
    ],
  };
}

/** `io` with its logits output shaped `shape` ([] where onnxruntime reports no shape). */
const withLogits = (io: SessionIO, shape: (number | string)[]): SessionIO => ({
  inputs: io.inputs,
  outputs: io.outputs.map((o) => (o.name === 'logits' ? t('logits', shape) : o)),
});

const gpt2Cache = ['batch_size', 2, 'past_sequence_length', 16];
const gqaCache = ['batch_size', 2, 'past_sequence_length', 8];
const symbolic = ['batch_size', 'num_key_value_heads', 'past_sequence_length', 'head_dim'];

const kv = (over: Partial<KvCacheLayout>): DecoderLayout => ({
  kind: 'kv-cache',
  usesPositionIds: true,
  logitsType: 'float32',
  layers: 2,
  kvHeads: 2,
  headDim: 16,
  cacheType: 'float32',
  usesCacheBranch: false,
  ...over,
});

/** config.json of a Llama/Qwen2 GQA model: 4 query heads, 2 key/value heads, hidden 32. */
const gqaConfig: HfConfig = {
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  hidden_size: 32,
};

describe('decoder layouts (decoderLayout)', () => {
  const accepted: [string, SessionIO, ConfigDims, DecoderLayout][] = [
    ['a GPT-2 export: heads and head size from the cache dims', decoder(gpt2Cache), {}, kv({})],
    [
      'an Optimum merged decoder: use_cache_branch, no position_ids',
      decoder(gpt2Cache, { positionIds: false, extra: [t('use_cache_branch', [1], 'bool')] }),
      {},
      kv({ usesPositionIds: false, usesCacheBranch: true }),
    ],
    ['Qwen2 GQA with concrete cache dims', decoder(gqaCache), decoderDims(gqaConfig), kv({ headDim: 8 })],
    [
      'GQA with symbolic cache dims: key/value heads from num_key_value_heads, head size hidden / heads',
      decoder(symbolic),
      decoderDims(gqaConfig),
      kv({ headDim: 8 }),
    ],
    [
      'symbolic cache dims and a head_dim that is not hidden / heads',
      decoder(symbolic),
      decoderDims({ ...gqaConfig, hidden_size: 48, head_dim: 16 }),
      kv({ headDim: 16 }),
    ],
    [
      'a float16 cache and float16 logits (q4f16 / fp16 exports)',
      decoder(gqaCache, { type: 'float16', logits: 'float16' }),
      {},
      kv({ headDim: 8, cacheType: 'float16', logitsType: 'float16' }),
    ],
    [
      'a num_logits_to_keep input',
      decoder(gqaCache, { extra: [t('num_logits_to_keep', [], 'int64')] }),
      {},
      kv({ headDim: 8, logitsToKeepInput: 'num_logits_to_keep' }),
    ],
    [
      'a decoder exported without a cache',
      decoder(undefined),
      {},
      { kind: 'recompute', usesPositionIds: true, logitsType: 'float32' },
    ],
    [
      'a decoder without a cache or position_ids',
      decoder(undefined, { positionIds: false }),
      {},
      { kind: 'recompute', usesPositionIds: false, logitsType: 'float32' },
    ],
    [
      'logits whose rank onnxruntime does not report',
      withLogits(decoder(undefined), []),
      {},
      { kind: 'recompute', usesPositionIds: true, logitsType: 'float32' },
    ],
  ];
  for (const [given, io, dims, layout] of accepted) {
    it(`given ${given}, returns its layout`, () => {
      expect(decoderLayout(io, dims)).to.deep.equal(layout);
    });
  }

  const refused: [string, SessionIO, ConfigDims, string][] = [
    [
      'a layer count that disagrees with config.json',
      decoder(gpt2Cache),
      { layers: 3 },
      'config.json says 3 layers but the ONNX graph has 2',
    ],
    [
      'a missing present output',
      {
        ...decoder(gpt2Cache),
        outputs: decoder(gpt2Cache).outputs.filter((o) => o.name !== 'present.1.value'),
      },
      {},
      'lacks output(s) present.1.value needed to generate',
    ],
    [
      'a missing past value input',
      {
        ...decoder(gpt2Cache),
        inputs: decoder(gpt2Cache).inputs.filter((o) => o.name !== 'past_key_values.0.value'),
      },
      {},
      'lacks input(s) past_key_values.0.value needed to generate',
    ],
    [
      'symbolic cache dims and no config.json dimensions',
      decoder(symbolic),
      {},
      "cannot tell the cache's heads and head size: past_key_values dims are [batch_size, num_key_value_heads, past_sequence_length, head_dim] and config.json gives no num_key_value_heads",
    ],
    [
      'a bfloat16 cache',
      decoder(gqaCache, { type: 'bfloat16' }),
      {},
      'cache input past_key_values.0.key is bfloat16; only float32 and float16 are supported',
    ],
    [
      'float16 past inputs with float32 present outputs',
      {
        inputs: decoder(gqaCache, { type: 'float16' }).inputs,
        outputs: decoder(gqaCache).outputs,
      },
      {},
      'the cache mixes element types: past_key_values.0.key is float16 but present.0.key is float32',
    ],
    [
      'an input the runtime cannot feed',
      decoder(gqaCache, { extra: [t('inputs_embeds', ['batch_size', 'sequence_length', 32])] }),
      {},
      'wants input(s) inputs_embeds; a decoder may only take input_ids, attention_mask, position_ids, use_cache_branch, num_logits_to_keep, logits_to_keep and past_key_values.{i}.key/value',
    ],
    [
      'no logits output',
      { inputs: decoder(undefined).inputs, outputs: [t('last_hidden_state')] },
      {},
      'lacks output(s) logits needed to generate',
    ],
    [
      "a classifier's logits [batch_size, labels] on a graph without a cache",
      withLogits(decoder(undefined), ['batch_size', 2]),
      {},
      "the ONNX graph's logits are [batch_size, 2]; text generation needs [batch, sequence, vocabulary]",
    ],
    [
      'rank-2 logits on a graph with a cache',
      withLogits(decoder(gpt2Cache), ['batch_size', 317]),
      {},
      "the ONNX graph's logits are [batch_size, 317]; text generation needs [batch, sequence, vocabulary]",
    ],
    [
      'rank-4 logits',
      withLogits(decoder(undefined), ['batch_size', 1, 'sequence_length', 317]),
      {},
      "the ONNX graph's logits are [batch_size, 1, sequence_length, 317]; text generation needs",
    ],
    [
      'a cache switch without a cache',
      decoder(undefined, { extra: [t('use_cache_branch', [1], 'bool')] }),
      {},
      'has cache inputs but no past_key_values.{i}.key',
    ],
  ];
  for (const [given, io, dims, message] of refused) {
    it(`given ${given}, throws ModelLoadFailedError "${message}"`, () => {
      expect(() => decoderLayout(io, dims)).to.throw(ModelLoadFailedError, message);
    });
  }
});

describe("a decoder's dimensions from config.json (decoderDims)", () => {
  const table: [string, HfConfig, ConfigDims][] = [
    ['GPT-2 names', { n_layer: 2, n_head: 2, n_embd: 32 }, { layers: 2, heads: 2, kvHeads: 2, headDim: 16 }],
    ['Llama/Qwen2 GQA', gqaConfig, { layers: 2, heads: 4, kvHeads: 2, headDim: 8 }],
    [
      'an explicit head_dim',
      { ...gqaConfig, head_dim: 16 },
      { layers: 2, heads: 4, kvHeads: 2, headDim: 16 },
    ],
    [
      'no num_key_value_heads: as many as attention heads',
      { num_hidden_layers: 1, num_attention_heads: 4, hidden_size: 32 },
      { layers: 1, heads: 4, kvHeads: 4, headDim: 8 },
    ],
    ['nothing', {}, {}],
  ];
  for (const [given, config, dims] of table) {
    it(`given ${given}, returns ${JSON.stringify(dims)}`, () => {
      expect(decoderDims(config)).to.deep.equal(dims);
    });
  }
});
