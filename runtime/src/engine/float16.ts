/**
 * float16 tensor data: onnxruntime-node gives a float16 tensor's data as raw IEEE 754 halves in a Uint16Array
 * (where there is no Float16Array, as in Node 20), which must be widened before its values are read as
 * numbers (decoder logits, encoder logits and embeddings).
 * @module
 */
import type * as ort from 'onnxruntime-node';

/** A float16 tensor's data as raw halves, whether onnxruntime gave a Uint16Array or a Float16Array. */
export function halvesOf(data: ort.Tensor['data']): Uint16Array {
  if (data instanceof Uint16Array) return data;
  const view = data as ArrayBufferView & { length: number };
  return new Uint16Array(view.buffer, view.byteOffset, view.length);
}

/** The float value of IEEE 754 half `h`. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * 2 ** -14 * (fraction / 1024);
  if (exponent === 0x1f) return fraction ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exponent - 15) * (1 + fraction / 1024);
}

let halves: Float32Array | undefined;

/** Every half's float value (256 KiB, built on first use): a lookup per value instead of a computation. */
export function halfTable(): Float32Array {
  if (!halves) {
    halves = new Float32Array(0x10000);
    for (let h = 0; h < 0x10000; h++) halves[h] = halfToFloat(h);
  }
  return halves;
}

/** Halves widened to float32 (a new array). */
export function widenHalves(data: Uint16Array): Float32Array {
  const table = halfTable();
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = table[data[i] as number] as number;
  return out;
}
