/**
 * Tensor codec for Open Inference Protocol v2 messages: typed `contents` and raw little-endian bytes.
 *
 * Raw layout follows Triton: fixed-size types are packed little-endian in row-major order; each BYTES element
 * is a 4-byte little-endian length followed by that many bytes. Reads go through DataView so results do not
 * depend on the host's byte order or on the alignment of the Buffer grpc-js hands over.
 * @module
 */
import { InvalidTensorError } from '../errors.js';
import type { InferTensor, InferTensorContents, Int64 } from './types.js';

/** Datatypes this codec reads and writes (the ones the runtime's tensor contract uses, plus close kin). */
export type Datatype = 'BOOL' | 'INT32' | 'INT64' | 'FP32' | 'FP64' | 'BYTES';

/** Decoded tensor data, by datatype. */
export type TensorData =
  | { datatype: 'BOOL'; shape: number[]; data: boolean[] }
  | { datatype: 'INT32'; shape: number[]; data: Int32Array }
  | { datatype: 'INT64'; shape: number[]; data: BigInt64Array }
  | { datatype: 'FP32'; shape: number[]; data: Float32Array }
  | { datatype: 'FP64'; shape: number[]; data: Float64Array }
  | { datatype: 'BYTES'; shape: number[]; data: Buffer[] };

/** A tensor ready to send: its header and its raw contents. */
export interface EncodedTensor {
  tensor: InferTensor;
  raw: Buffer;
}

const FIXED_SIZES = { BOOL: 1, INT32: 4, INT64: 8, FP32: 4, FP64: 8 } as const;

/**
 * The tensor's shape as numbers.
 * @throws {InvalidTensorError} when a dimension is negative or not a safe integer.
 */
export function shapeOf(tensor: Pick<InferTensor, 'name' | 'shape'>): number[] {
  return tensor.shape.map((dim: Int64) => {
    const n = Number(dim);
    if (!Number.isSafeInteger(n) || n < 0) {
      throw new InvalidTensorError(`tensor '${tensor.name}' has an invalid dimension ${String(dim)}`);
    }
    return n;
  });
}

/** Number of elements of a shape (1 for a scalar `[]`). */
export function elementCount(shape: readonly number[]): number {
  return shape.reduce((count, dim) => count * dim, 1);
}

/** Packs BYTES elements in Triton's raw layout. */
export function encodeRawBytes(elements: readonly Uint8Array[]): Buffer {
  const total = elements.reduce((sum, element) => sum + 4 + element.byteLength, 0);
  const out = Buffer.allocUnsafe(total);
  let offset = 0;
  for (const element of elements) {
    out.writeUInt32LE(element.byteLength, offset);
    out.set(element, offset + 4);
    offset += 4 + element.byteLength;
  }
  return out;
}

/**
 * Unpacks Triton's raw BYTES layout.
 * @throws {InvalidTensorError} when a length prefix runs past the end of the buffer.
 */
export function decodeRawBytes(raw: Uint8Array, name = 'tensor'): Buffer[] {
  const buffer = Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
  const elements: Buffer[] = [];
  let offset = 0;
  while (offset < buffer.length) {
    if (offset + 4 > buffer.length) {
      throw new InvalidTensorError(
        `raw contents of '${name}' end inside the length prefix of element ${elements.length}`,
      );
    }
    const length = buffer.readUInt32LE(offset);
    if (offset + 4 + length > buffer.length) {
      throw new InvalidTensorError(
        `raw contents of '${name}' are truncated: element ${elements.length} declares ${length} bytes but ${buffer.length - offset - 4} remain`,
      );
    }
    elements.push(buffer.subarray(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  return elements;
}

function checkCount(name: string, shape: number[], actual: number, unit = 'elements'): void {
  const expected = elementCount(shape);
  if (actual !== expected) {
    throw new InvalidTensorError(
      `tensor '${name}' has shape [${shape.join(',')}] (${expected} elements) but its contents hold ${actual} ${unit}`,
    );
  }
}

function readFixedRaw(
  datatype: keyof typeof FIXED_SIZES,
  name: string,
  shape: number[],
  raw: Uint8Array,
): TensorData {
  const size = FIXED_SIZES[datatype];
  const count = elementCount(shape);
  if (raw.byteLength !== count * size) {
    throw new InvalidTensorError(
      `tensor '${name}' has shape [${shape.join(',')}] (${count} ${datatype} elements, ${count * size} bytes) but its raw contents hold ${raw.byteLength} bytes`,
    );
  }
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (datatype) {
    case 'BOOL':
      return { datatype, shape, data: Array.from({ length: count }, (_, i) => view.getUint8(i) !== 0) };
    case 'INT32':
      return {
        datatype,
        shape,
        data: Int32Array.from({ length: count }, (_, i) => view.getInt32(i * 4, true)),
      };
    case 'INT64':
      return {
        datatype,
        shape,
        data: BigInt64Array.from({ length: count }, (_, i) => view.getBigInt64(i * 8, true)),
      };
    case 'FP32':
      return {
        datatype,
        shape,
        data: Float32Array.from({ length: count }, (_, i) => view.getFloat32(i * 4, true)),
      };
    case 'FP64':
      return {
        datatype,
        shape,
        data: Float64Array.from({ length: count }, (_, i) => view.getFloat64(i * 8, true)),
      };
  }
}

function readContents(
  datatype: Datatype,
  name: string,
  shape: number[],
  contents: InferTensorContents,
): TensorData {
  let data: TensorData;
  switch (datatype) {
    case 'BOOL':
      data = { datatype, shape, data: [...(contents.bool_contents ?? [])] };
      break;
    case 'INT32':
      data = { datatype, shape, data: Int32Array.from(contents.int_contents ?? []) };
      break;
    case 'INT64':
      data = { datatype, shape, data: BigInt64Array.from(contents.int64_contents ?? [], (v) => BigInt(v)) };
      break;
    case 'FP32':
      data = { datatype, shape, data: Float32Array.from(contents.fp32_contents ?? []) };
      break;
    case 'FP64':
      data = { datatype, shape, data: Float64Array.from(contents.fp64_contents ?? []) };
      break;
    case 'BYTES':
      data = { datatype, shape, data: (contents.bytes_contents ?? []).map((b) => Buffer.from(b)) };
      break;
  }
  checkCount(name, shape, data.data.length);
  return data;
}

function isDatatype(datatype: string): datatype is Datatype {
  return datatype === 'BYTES' || datatype in FIXED_SIZES;
}

/**
 * Decodes a tensor from its raw contents when given, else from its typed contents.
 * @throws {InvalidTensorError} for an unsupported datatype, a bad shape, or contents that do not match the shape.
 */
export function readTensor(tensor: InferTensor, raw: Uint8Array | undefined): TensorData {
  const { name, datatype } = tensor;
  if (!isDatatype(datatype)) {
    throw new InvalidTensorError(
      `tensor '${name}' has datatype '${datatype}', which is not one of BOOL, INT32, INT64, FP32, FP64, BYTES`,
    );
  }
  const shape = shapeOf(tensor);
  if (raw === undefined) return readContents(datatype, name, shape, tensor.contents ?? {});
  if (datatype !== 'BYTES') return readFixedRaw(datatype, name, shape, raw);
  const elements = decodeRawBytes(raw, name);
  checkCount(name, shape, elements.length);
  return { datatype, shape, data: elements };
}

/** A BYTES tensor; strings are encoded as UTF-8. */
export function bytesTensor(
  name: string,
  shape: number[],
  elements: readonly (string | Uint8Array)[],
): EncodedTensor {
  const buffers = elements.map((e) => (typeof e === 'string' ? Buffer.from(e, 'utf8') : e));
  return { tensor: { name, datatype: 'BYTES', shape }, raw: encodeRawBytes(buffers) };
}

/** An FP32 tensor. */
export function fp32Tensor(name: string, shape: number[], values: ArrayLike<number>): EncodedTensor {
  const raw = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) raw.writeFloatLE(values[i] as number, i * 4);
  return { tensor: { name, datatype: 'FP32', shape }, raw };
}

/** An INT64 tensor. */
export function int64Tensor(
  name: string,
  shape: number[],
  values: ArrayLike<bigint | number>,
): EncodedTensor {
  const raw = Buffer.allocUnsafe(values.length * 8);
  for (let i = 0; i < values.length; i++) raw.writeBigInt64LE(BigInt(values[i] as bigint | number), i * 8);
  return { tensor: { name, datatype: 'INT64', shape }, raw };
}
