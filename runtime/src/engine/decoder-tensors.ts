/**
 * Moving decoder tensors between a batch and its rows: cache rows in and out of `[batch, kvHeads, length,
 * headDim]` tensors, and each row's last-position logits. float16 tensors are raw IEEE halves in a Uint16Array
 * (onnxruntime-node's representation where there is no Float16Array, as in Node 20): caches stay halves, since
 * they are only copied; logits are widened to float32, since sampling reads them.
 * @module
 */
import type * as ort from 'onnxruntime-node';
import { halfTable, halvesOf } from './float16.js';

/** Cache entries: float32 values, or float16 halves. */
export type CacheData = Float32Array | Uint16Array;

interface CacheShape {
  readonly kvHeads: number;
  readonly headDim: number;
}

/** Copies a row's cache `[kvHeads, length, headDim]` into batch row `row` of `[batch, kvHeads, past, headDim]`, right-aligned. */
export function placeRow(
  target: CacheData,
  cache: CacheData,
  at: { row: number; past: number; length: number },
  shape: CacheShape,
): void {
  const { kvHeads, headDim } = shape;
  const { row, past, length } = at;
  for (let h = 0; h < kvHeads; h++) {
    const from = h * length * headDim;
    target.set(
      cache.subarray(from, from + length * headDim),
      ((row * kvHeads + h) * past + past - length) * headDim,
    );
  }
}

/** The last `length` positions of batch row `row` of `[batch, kvHeads, total, headDim]`, as `[kvHeads, length, headDim]`. */
export function takeRow<T extends CacheData>(
  source: T,
  at: { row: number; total: number; length: number },
  shape: CacheShape,
): T {
  const { kvHeads, headDim } = shape;
  const { row, total, length } = at;
  const out = (
    source instanceof Uint16Array
      ? new Uint16Array(kvHeads * length * headDim)
      : new Float32Array(kvHeads * length * headDim)
  ) as T;
  for (let h = 0; h < kvHeads; h++) {
    const from = ((row * kvHeads + h) * total + total - length) * headDim;
    out.set(source.subarray(from, from + length * headDim), h * length * headDim);
  }
  return out;
}

/**
 * Per batch row, the logits of its last position, from `[batch, positions, vocab]` logits (positions is the
 * step's width, or fewer when the graph kept only the last N), float32 or float16.
 */
export function readLastLogits(logits: ort.Tensor, batch: number): Float32Array[] {
  const positions = logits.dims[1] as number;
  const vocab = logits.dims[2] as number;
  const start = (r: number) => (r * positions + positions - 1) * vocab;
  if (logits.type === 'float16') {
    const data = halvesOf(logits.data);
    const table = halfTable();
    return Array.from({ length: batch }, (_, r) => {
      const out = new Float32Array(vocab);
      const from = start(r);
      for (let v = 0; v < vocab; v++) out[v] = table[data[from + v] as number] as number;
      return out;
    });
  }
  const data = logits.data as Float32Array;
  return Array.from({ length: batch }, (_, r) => data.slice(start(r), start(r) + vocab));
}
