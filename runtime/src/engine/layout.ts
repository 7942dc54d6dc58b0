/**
 * Checks that a graph has the inputs and outputs a task needs, and works out the KV-cache layout of decoders.
 *
 * Pure functions of the session's metadata and config.json, so every mismatch is caught at load time with a
 * message naming what is missing, instead of failing on the first request.
 * @module
 */
import { ModelLoadFailedError } from '../errors.js';
import type { SessionIO, TensorInfo } from './session.js';

/** Encoder inputs the runtime knows how to feed. */
export const ENCODER_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;

const PAST_KEY = /^past_key_values\.(\d+)\.key$/;
const PAST_INPUT = /^past_key_values\.\d+\.(key|value)$/;
const PRESENT_OUTPUT = /^present\.\d+\.(key|value)$/;

function requireNames(
  kind: 'input' | 'output',
  have: readonly TensorInfo[],
  names: readonly string[],
  task: string,
) {
  const missing = names.filter((name) => !have.some((t) => t.name === name));
  if (missing.length > 0) {
    const present = have.map((t) => t.name).join(', ');
    throw new ModelLoadFailedError(
      `the ONNX graph lacks ${kind}(s) ${missing.join(', ')} needed to ${task} (it has: ${present})`,
    );
  }
}

/** Outputs an embedding is read from, best first: the graph's own pooled vector, else token states to pool. */
export const EMBEDDING_OUTPUTS = ['sentence_embedding', 'token_embeddings', 'last_hidden_state'] as const;

/** The graph output an encoder task reads, and whether it is already one vector per text. */
export interface EncoderOutput {
  readonly name: 'logits' | (typeof EMBEDDING_OUTPUTS)[number];
  readonly pooled: boolean;
  readonly info: TensorInfo;
}

/**
 * Checks an encoder graph (classify/embed): only inputs we can feed, and an output the task reads:
 * `logits` to classify; to embed, `sentence_embedding` (sentence-transformers exports) if there is one, else
 * `token_embeddings` or `last_hidden_state` to pool. That output must be float32 or float16.
 */
export function checkEncoder(io: SessionIO, task: 'classify' | 'embed'): EncoderOutput {
  const unknown = io.inputs.filter((t) => !(ENCODER_INPUTS as readonly string[]).includes(t.name));
  if (unknown.length > 0) {
    throw new ModelLoadFailedError(
      `the ONNX graph wants input(s) ${unknown.map((t) => t.name).join(', ')}; an encoder may only take ${ENCODER_INPUTS.join(', ')}`,
    );
  }
  requireNames('input', io.inputs, ['input_ids'], task);
  const wanted = task === 'classify' ? (['logits'] as const) : EMBEDDING_OUTPUTS;
  for (const name of wanted) {
    const info = io.outputs.find((t) => t.name === name);
    if (!info) continue;
    // fp16 exports output float16 (widened when read); nothing else is read as numbers.
    floatType(info, 'output');
    return { name, pooled: name === 'logits' || name === 'sentence_embedding', info };
  }
  const present = io.outputs.map((t) => t.name).join(', ');
  throw new ModelLoadFailedError(
    `the ONNX graph lacks an output to ${task}: it needs ${wanted.join(' or ')} (it has: ${present})`,
  );
}

const concreteDim = (dim: number | string | undefined) =>
  typeof dim === 'number' && dim > 0 ? dim : undefined;

/** Decoder inputs the runtime knows how to feed, besides the cache inputs `past_key_values.{i}.key/value`. */
export const DECODER_INPUTS = [
  'input_ids',
  'attention_mask',
  'position_ids',
  'use_cache_branch',
  'num_logits_to_keep',
  'logits_to_keep',
] as const;

/** Element types of caches and logits the runtime reads and writes. */
export type FloatType = 'float32' | 'float16';

/** How a decoder graph is fed and read, whatever it does with a cache. */
interface DecoderInputs {
  readonly usesPositionIds: boolean;
  /** The int64 scalar input that limits logits to the last N positions (fed 1), when the graph has one. */
  readonly logitsToKeepInput?: 'num_logits_to_keep' | 'logits_to_keep';
  readonly logitsType: FloatType;
}

/**
 * A decoder with a KV cache: `past_key_values.{i}.key/value` `[batch, kvHeads, past, headDim]` in,
 * `present.{i}.key/value` out. Merged decoders (Optimum's `decoder_model_merged.onnx`) also take
 * `use_cache_branch`, false on the prefill and true once there is a past.
 */
export interface KvCacheLayout extends DecoderInputs {
  readonly kind: 'kv-cache';
  readonly layers: number;
  /** Key/value heads: fewer than the attention heads with grouped-query attention. */
  readonly kvHeads: number;
  readonly headDim: number;
  readonly cacheType: FloatType;
  readonly usesCacheBranch: boolean;
}

/** A decoder exported without a cache: every step recomputes the whole sequence. */
export interface RecomputeLayout extends DecoderInputs {
  readonly kind: 'recompute';
}

/** Where a decoder keeps its cache, and its shape; or that it has none. */
export type DecoderLayout = KvCacheLayout | RecomputeLayout;

/** What config.json says about a decoder's dimensions (see `decoderDims`). */
export interface ConfigDims {
  readonly layers?: number;
  readonly heads?: number;
  readonly kvHeads?: number;
  readonly headDim?: number;
}

function floatType(info: TensorInfo, what: string): FloatType {
  if (info.type === 'float32' || info.type === 'float16') return info.type;
  throw new ModelLoadFailedError(
    `${what} ${info.name} is ${info.type}; only float32 and float16 are supported`,
  );
}

function decoderInputs(io: SessionIO): DecoderInputs {
  const unknown = io.inputs.filter(
    (t) => !(DECODER_INPUTS as readonly string[]).includes(t.name) && !PAST_INPUT.test(t.name),
  );
  if (unknown.length > 0) {
    throw new ModelLoadFailedError(
      `the ONNX graph wants input(s) ${unknown.map((t) => t.name).join(', ')}; a decoder may only take ${DECODER_INPUTS.join(', ')} and past_key_values.{i}.key/value`,
    );
  }
  requireNames('input', io.inputs, ['input_ids', 'attention_mask'], 'generate');
  requireNames('output', io.outputs, ['logits'], 'generate');
  const logits = io.outputs.find((t) => t.name === 'logits') as TensorInfo;
  // A classifier's logits are [batch, labels]: read as a decoder's, they have no vocabulary to sample from.
  if (logits.shape.length > 0 && logits.shape.length !== 3) {
    throw new ModelLoadFailedError(
      `the ONNX graph's logits are [${logits.shape.join(', ')}]; text generation needs [batch, sequence, vocabulary]`,
    );
  }
  const keep = io.inputs.find((t) => t.name === 'num_logits_to_keep' || t.name === 'logits_to_keep');
  return {
    usesPositionIds: io.inputs.some((t) => t.name === 'position_ids'),
    ...(keep ? { logitsToKeepInput: keep.name as 'num_logits_to_keep' | 'logits_to_keep' } : {}),
    logitsType: floatType(logits, 'output'),
  };
}

/**
 * How to drive a decoder graph, from its inputs and outputs and config.json: with a KV cache when it takes
 * `past_key_values.{i}.key/value` (heads and head size from the cache inputs' concrete dims, else from
 * config.json: `num_key_value_heads`, `head_dim` or hidden size / attention heads), else by recomputing.
 */
export function decoderLayout(io: SessionIO, fromConfig: ConfigDims): DecoderLayout {
  const inputs = decoderInputs(io);
  const layerIds = io.inputs.flatMap((t) => {
    const match = PAST_KEY.exec(t.name);
    return match ? [Number(match[1])] : [];
  });
  if (layerIds.length === 0) {
    if (io.inputs.some((t) => PAST_INPUT.test(t.name) || t.name === 'use_cache_branch')) {
      throw new ModelLoadFailedError(
        'the ONNX graph has cache inputs but no past_key_values.{i}.key; a cache needs past_key_values.{i}.key and .value per layer',
      );
    }
    return { kind: 'recompute', ...inputs };
  }
  const layers = layerIds.length;
  if (fromConfig.layers !== undefined && fromConfig.layers !== layers) {
    throw new ModelLoadFailedError(
      `config.json says ${fromConfig.layers} layers but the ONNX graph has ${layers}`,
    );
  }
  const cacheNames = Array.from({ length: layers }, (_, i) => [
    `past_key_values.${i}.key`,
    `past_key_values.${i}.value`,
  ]);
  requireNames('input', io.inputs, cacheNames.flat(), 'generate');
  const presentNames = Array.from({ length: layers }, (_, i) => [`present.${i}.key`, `present.${i}.value`]);
  requireNames('output', io.outputs, presentNames.flat(), 'generate');

  const past = io.inputs.find((t) => t.name === 'past_key_values.0.key') as TensorInfo;
  const cacheType = floatType(past, 'cache input');
  const mixed = [...io.inputs, ...io.outputs].find(
    (t) => (PAST_INPUT.test(t.name) || PRESENT_OUTPUT.test(t.name)) && t.type !== cacheType,
  );
  if (mixed) {
    throw new ModelLoadFailedError(
      `the cache mixes element types: ${past.name} is ${cacheType} but ${mixed.name} is ${mixed.type}`,
    );
  }
  const kvHeads = concreteDim(past.shape[1]) ?? fromConfig.kvHeads ?? fromConfig.heads;
  const headDim = concreteDim(past.shape[3]) ?? fromConfig.headDim;
  if (!kvHeads || !headDim || !Number.isInteger(headDim)) {
    throw new ModelLoadFailedError(
      `cannot tell the cache's heads and head size: past_key_values dims are [${past.shape.join(', ')}] and config.json gives no ${kvHeads ? 'head_dim (nor hidden_size / num_attention_heads)' : 'num_key_value_heads (nor num_attention_heads)'}`,
    );
  }
  return {
    kind: 'kv-cache',
    ...inputs,
    layers,
    kvHeads,
    headDim,
    cacheType,
    usesCacheBranch: io.inputs.some((t) => t.name === 'use_cache_branch'),
  };
}
