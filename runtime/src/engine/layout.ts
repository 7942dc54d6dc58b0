/**
 * Checks that a graph has the inputs and outputs a task needs, and works out the KV-cache layout of decoders.
 *
 * Pure functions of the session's metadata and config.json, so every mismatch is caught at load time with a
 * message naming what is missing, instead of failing on the first request.
 * @module
 */
import type { ModelTask } from '../config.js';
import { ModelLoadFailedError } from '../errors.js';
import type { SessionIO, TensorInfo } from './session.js';

/** Encoder inputs the runtime knows how to feed. */
export const ENCODER_INPUTS = ['input_ids', 'attention_mask', 'token_type_ids'] as const;

/** Where a decoder keeps its cache, and its shape. */
export interface DecoderLayout {
  readonly layers: number;
  readonly heads: number;
  readonly headDim: number;
  readonly usesPositionIds: boolean;
}

const PAST_KEY = /^past_key_values\.(\d+)\.key$/;

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

/** The graph output a task reads. */
function taskOutput(task: ModelTask): string {
  return task === 'embed' ? 'last_hidden_state' : 'logits';
}

/** Checks an encoder graph (classify/embed): only inputs we can feed, and the output the task reads. */
export function checkEncoder(io: SessionIO, task: 'classify' | 'embed'): void {
  const unknown = io.inputs.filter((t) => !(ENCODER_INPUTS as readonly string[]).includes(t.name));
  if (unknown.length > 0) {
    throw new ModelLoadFailedError(
      `the ONNX graph wants input(s) ${unknown.map((t) => t.name).join(', ')}; an encoder may only take ${ENCODER_INPUTS.join(', ')}`,
    );
  }
  requireNames('input', io.inputs, ['input_ids'], task);
  requireNames('output', io.outputs, [taskOutput(task)], task);
}

const concreteDim = (dim: number | string | undefined) =>
  typeof dim === 'number' && dim > 0 ? dim : undefined;

/**
 * The KV-cache layout of a GPT-2-layout decoder graph: `past_key_values.{i}.key/value` in,
 * `present.{i}.key/value` and `logits` out. Heads and head size come from the cache inputs' concrete dims,
 * else from config.json.
 */
export function decoderLayout(
  io: SessionIO,
  fromConfig: { layers?: number; heads?: number; headDim?: number },
): DecoderLayout {
  const layerIds = io.inputs.flatMap((t) => {
    const match = PAST_KEY.exec(t.name);
    return match ? [Number(match[1])] : [];
  });
  if (layerIds.length === 0) {
    throw new ModelLoadFailedError(
      'the ONNX graph has no past_key_values.{i}.key inputs; text generation needs a GPT-2-layout graph with a KV cache',
    );
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
  requireNames('input', io.inputs, ['input_ids', 'attention_mask', ...cacheNames.flat()], 'generate');
  const presentNames = Array.from({ length: layers }, (_, i) => [`present.${i}.key`, `present.${i}.value`]);
  requireNames('output', io.outputs, ['logits', ...presentNames.flat()], 'generate');

  const past = io.inputs.find((t) => t.name === 'past_key_values.0.key') as TensorInfo;
  if (past.type !== 'float32') {
    throw new ModelLoadFailedError(`past_key_values are ${past.type}; only float32 caches are supported`);
  }
  const heads = concreteDim(past.shape[1]) ?? fromConfig.heads;
  const headDim = concreteDim(past.shape[3]) ?? fromConfig.headDim;
  if (!heads || !headDim || !Number.isInteger(headDim)) {
    throw new ModelLoadFailedError(
      'cannot tell the number of heads and head size: neither the past_key_values shape nor config.json (n_head, n_embd) gives them',
    );
  }
  return { layers, heads, headDim, usesPositionIds: io.inputs.some((t) => t.name === 'position_ids') };
}
