/**
 * One batched forward step of a GPT-2-layout ONNX decoder with a KV cache.
 *
 * Rows of a step may be at different lengths: each row's cache is right-aligned in the batch's past (left
 * padding), its new tokens are right-aligned in the step's input, padded positions get attention-mask 0, and
 * position ids count each row's own tokens. The graph builds its causal and padding masks from the attention
 * mask, so a padded row computes what it would alone (to float rounding). After the step each row keeps only
 * its own cache, so rows can join and leave between steps (continuous batching, see `decode-scheduler.ts`).
 * @module
 */
import * as ort from 'onnxruntime-node';
import { EngineError } from '../errors.js';
import type { DecoderLayout } from './layout.js';

/** Why generation ended: a stop string or the end-of-sequence token, or the token budget. */
export type FinishReason = 'stop' | 'length';

export interface GeneratedText {
  readonly text: string;
  readonly finishReason: FinishReason;
  /** Tokens the model produced, including an end-of-sequence token or the one that completed a stop string. */
  readonly completionTokens: number;
}

/** A row's KV cache: per layer a key and a value, each `[heads, length, headDim]` row-major. */
export interface SequenceCache {
  readonly length: number;
  readonly keys: readonly Float32Array[];
  readonly values: readonly Float32Array[];
}

/** One row of a step: the tokens to feed and the cache from the row's previous step (none at first). */
export interface StepRow {
  readonly input: readonly number[];
  readonly cache: SequenceCache | undefined;
}

export interface StepResult {
  /** Per row, the logits of its last position. */
  readonly logits: Float32Array[];
  /** Per row, its cache after the step. */
  readonly caches: SequenceCache[];
}

export class Decoder {
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly layout: DecoderLayout,
    private readonly padId: number,
  ) {}

  /**
   * Runs one step for `rows`. A row with a cache must feed as many tokens as the longest row (decoding rows
   * feed one each); rows without one (prompts) may differ in length.
   */
  async step(rows: readonly StepRow[]): Promise<StepResult> {
    const { layers, heads, headDim } = this.layout;
    const batch = rows.length;
    const width = Math.max(...rows.map((r) => r.input.length));
    const past = Math.max(0, ...rows.map((r) => r.cache?.length ?? 0));
    const total = past + width;
    const inputIds = new BigInt64Array(batch * width).fill(BigInt(this.padId));
    const positionIds = new BigInt64Array(batch * width);
    const mask = new BigInt64Array(batch * total);
    rows.forEach((row, r) => {
      const own = row.cache?.length ?? 0;
      const fed = row.input.length;
      if (own > 0 && fed !== width)
        throw new Error('a cached row must feed as many tokens as the step is wide');
      for (let t = 0; t < own; t++) mask[r * total + past - own + t] = 1n;
      for (let k = 0; k < fed; k++) {
        const column = width - fed + k;
        inputIds[r * width + column] = BigInt(row.input[k] as number);
        positionIds[r * width + column] = BigInt(own + k);
        mask[r * total + past + column] = 1n;
      }
    });
    const feeds: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', inputIds, [batch, width]),
      attention_mask: new ort.Tensor('int64', mask, [batch, total]),
    };
    if (this.layout.usesPositionIds)
      feeds.position_ids = new ort.Tensor('int64', positionIds, [batch, width]);
    const plane = heads * past * headDim;
    for (let i = 0; i < layers; i++) {
      const keys = new Float32Array(batch * plane);
      const values = new Float32Array(batch * plane);
      rows.forEach((row, r) => {
        if (!row.cache || row.cache.length === 0) return;
        const at = { row: r, past, length: row.cache.length };
        placeRow(keys, row.cache.keys[i] as Float32Array, at, this.layout);
        placeRow(values, row.cache.values[i] as Float32Array, at, this.layout);
      });
      feeds[`past_key_values.${i}.key`] = new ort.Tensor('float32', keys, [batch, heads, past, headDim]);
      feeds[`past_key_values.${i}.value`] = new ort.Tensor('float32', values, [batch, heads, past, headDim]);
    }
    const outputs = await this.run(feeds);
    const logits = outputs.logits as ort.Tensor;
    const vocab = logits.dims[2] as number;
    const data = logits.data as Float32Array;
    return {
      logits: rows.map((_, r) => data.slice((r * width + width - 1) * vocab, (r * width + width) * vocab)),
      caches: rows.map((row, r) => {
        const length = (row.cache?.length ?? 0) + row.input.length;
        const take = (name: string) =>
          takeRow((outputs[name] as ort.Tensor).data as Float32Array, r, total, length, this.layout);
        return {
          length,
          keys: Array.from({ length: layers }, (_, i) => take(`present.${i}.key`)),
          values: Array.from({ length: layers }, (_, i) => take(`present.${i}.value`)),
        };
      }),
    };
  }

  private async run(feeds: Record<string, ort.Tensor>): Promise<ort.InferenceSession.OnnxValueMapType> {
    try {
      return await this.session.run(feeds);
    } catch (error) {
      throw new EngineError(`onnxruntime failed during generation: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/** Copies a row's cache `[heads, length, headDim]` into batch row `r` of `[batch, heads, past, headDim]`, right-aligned. */
function placeRow(
  target: Float32Array,
  cache: Float32Array,
  at: { row: number; past: number; length: number },
  layout: DecoderLayout,
) {
  const { heads, headDim } = layout;
  const { row: r, past, length } = at;
  for (let h = 0; h < heads; h++) {
    const from = h * length * headDim;
    target.set(
      cache.subarray(from, from + length * headDim),
      ((r * heads + h) * past + past - length) * headDim,
    );
  }
}

/** The last `length` positions of batch row `r` of `[batch, heads, total, headDim]`, as `[heads, length, headDim]`. */
function takeRow(
  source: Float32Array,
  r: number,
  total: number,
  length: number,
  layout: DecoderLayout,
): Float32Array {
  const { heads, headDim } = layout;
  const out = new Float32Array(heads * length * headDim);
  for (let h = 0; h < heads; h++) {
    const from = ((r * heads + h) * total + total - length) * headDim;
    out.set(source.subarray(from, from + length * headDim), h * length * headDim);
  }
  return out;
}
