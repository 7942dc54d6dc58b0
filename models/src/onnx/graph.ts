/**
 * Builds an ONNX graph node by node and serialises it. Names of intermediate values come from a counter,
 * so the same sequence of calls always yields the same bytes.
 * @module
 */
import { AttrType, DataLocation, DataType, type DataTypeCode, encodeModel, modelProto } from './schema.js';

/** A dimension: a fixed size, or a symbolic name such as `batch_size`. */
export type Dim = number | string;

export type AttrValue = number | string | number[] | { floats: number[] } | { float: number };

export const OPSET = 17;
export const IR_VERSION = 8;

interface TensorMsg {
  name: string;
  dims: number[];
  data_type: number;
  raw_data: Uint8Array;
}

function valueInfo(name: string, elemType: DataTypeCode, dims: readonly Dim[]): Record<string, unknown> {
  const dim = dims.map((d) => (typeof d === 'number' ? { dim_value: d } : { dim_param: d }));
  return { name, type: { tensor_type: { elem_type: elemType, shape: { dim } } } };
}

/** Integral numbers become INT attributes and fractional ones FLOAT; {float} forces FLOAT for e.g. 1.0. */
function attribute(name: string, value: AttrValue): Record<string, unknown> {
  if (typeof value === 'string') return { name, type: AttrType.STRING, s: new TextEncoder().encode(value) };
  if (Array.isArray(value)) return { name, type: AttrType.INTS, ints: value };
  if (typeof value === 'object' && 'floats' in value)
    return { name, type: AttrType.FLOATS, floats: value.floats };
  if (typeof value === 'object') return { name, type: AttrType.FLOAT, f: value.float };
  if (Number.isInteger(value)) return { name, type: AttrType.INT, i: value };
  return { name, type: AttrType.FLOAT, f: value };
}

function bytesOf(data: Float32Array | BigInt64Array | Int32Array | Uint8Array): Uint8Array {
  // ONNX raw_data is little-endian; every platform Node ships for is little-endian too.
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

export class GraphBuilder {
  readonly #nodes: Record<string, unknown>[] = [];
  readonly #inits: TensorMsg[] = [];
  readonly #inputs: Record<string, unknown>[] = [];
  readonly #outputs: Record<string, unknown>[] = [];
  readonly #names = new Set<string>();
  #counter = 0;
  #params = 0;

  constructor(readonly name: string) {}

  /** Parameters stored as float initializers (constants excluded). */
  get paramCount(): number {
    return this.#params;
  }

  input(name: string, elemType: DataTypeCode, dims: readonly Dim[]): string {
    this.#claim(name);
    this.#inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: DataTypeCode, dims: readonly Dim[]): void {
    this.#outputs.push(valueInfo(name, elemType, dims));
  }

  /** A trained weight. */
  weight(name: string, data: Float32Array, dims: readonly number[]): string {
    this.#params += data.length;
    this.#claim(name);
    return this.#tensor(name, DataType.FLOAT, dims, bytesOf(data));
  }

  constInt64(values: readonly number[], dims: readonly number[] = [values.length]): string {
    const data = BigInt64Array.from(values.map((v) => BigInt(v)));
    return this.#tensor(this.#fresh('const_i64'), DataType.INT64, dims, bytesOf(data));
  }

  constFloat(value: number): string {
    return this.#tensor(this.#fresh('const_f32'), DataType.FLOAT, [], bytesOf(Float32Array.of(value)));
  }

  /** Adds a node; returns its output names: given ones (e.g. graph outputs), or `outputs` fresh ones. */
  node(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    outputs: string[] | number = 1,
  ): string[] {
    let outs: string[];
    if (typeof outputs === 'number')
      outs = Array.from({ length: outputs }, () => this.#fresh(opType.toLowerCase()));
    else {
      for (const o of outputs) this.#claim(o);
      outs = outputs;
    }
    this.#nodes.push({
      name: `${opType}_${this.#nodes.length}`,
      op_type: opType,
      input: [...inputs],
      output: outs,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
    return outs;
  }

  /** A node with exactly one output. */
  op(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttrValue> = {},
    output?: string,
  ): string {
    return this.node(opType, inputs, attrs, output === undefined ? undefined : [output])[0]!;
  }

  /** The serialised ModelProto. */
  toBytes(docString: string): Uint8Array {
    return encodeModel({
      ir_version: IR_VERSION,
      opset_import: [{ domain: '', version: OPSET }],
      producer_name: 'paissive-models',
      producer_version: '1',
      doc_string: docString,
      graph: {
        name: this.name,
        node: this.#nodes,
        initializer: this.#inits,
        input: this.#inputs,
        output: this.#outputs,
      },
    });
  }

  /** The serialised ModelProto with its initializers in external data files beside it ({@link withExternalData}). */
  toFiles(docString: string, external: ExternalDataOptions): GraphWithExternalData {
    return withExternalData(this.toBytes(docString), external);
  }

  #tensor(name: string, dataType: number, dims: readonly number[], raw: Uint8Array): string {
    this.#inits.push({ name, dims: [...dims], data_type: dataType, raw_data: raw });
    return name;
  }

  #fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.#counter++}`;
    while (this.#names.has(name));
    this.#names.add(name);
    return name;
  }

  #claim(name: string): void {
    if (this.#names.has(name)) throw new Error(`duplicate value name ${name}`);
    this.#names.add(name);
  }
}

/** How a serialised graph's initializers move out into external data files (onnx's external data format). */
export interface ExternalDataOptions {
  /**
   * Name of the first data file, in the graph's own folder (e.g. `model.onnx_data`); chunk `i > 0` is
   * `<file>_<i>`, the names transformers.js reads with `use_external_data_format: <chunks>`.
   */
  readonly file: string;
  /** Files the tensors are spread over, each a contiguous run of them (default 1). */
  readonly chunks?: number;
  /** Tensors of fewer bytes stay inside the graph (default 1024, onnx's `size_threshold`). */
  readonly minBytes?: number;
}

/** A graph whose large initializers live in data files, and those files in chunk order. */
export interface GraphWithExternalData {
  readonly graph: Uint8Array;
  readonly data: readonly { readonly file: string; readonly bytes: Uint8Array }[];
}

/** The name of external data chunk `chunk` (0-based) of `file`: `file`, then `file_1`, `file_2`, ... */
export function externalDataChunkName(file: string, chunk: number): string {
  return chunk === 0 ? file : `${file}_${chunk}`;
}

interface InitializerMessage {
  raw_data?: Uint8Array;
  external_data?: { key: string; value: string }[];
  data_location?: number;
}

/**
 * Rewrites a serialised ModelProto so that every initializer of at least `minBytes` is stored externally:
 * its `raw_data` is appended to a data file and the tensor records `external_data` (location, offset,
 * length) with `data_location = EXTERNAL`, exactly as onnx's `save_model(..., save_as_external_data=True)`
 * writes it. The data files must sit beside the graph file under the given names. Deterministic.
 * @throws {Error} when fewer tensors qualify than there are chunks (a chunk would be empty).
 */
export function withExternalData(model: Uint8Array, options: ExternalDataOptions): GraphWithExternalData {
  const chunks = options.chunks ?? 1;
  const minBytes = options.minBytes ?? 1024;
  if (!Number.isInteger(chunks) || chunks < 1)
    throw new Error(`chunks must be a positive integer, not ${chunks}`);
  const type = modelProto();
  const message = type.decode(model) as unknown as { graph: { initializer: InitializerMessage[] } };
  const moved = message.graph.initializer.filter((t) => (t.raw_data?.length ?? 0) >= Math.max(1, minBytes));
  if (moved.length < chunks) {
    throw new Error(
      `only ${moved.length} initializers have ${minBytes} bytes or more: too few for ${chunks} chunks`,
    );
  }
  const parts: Uint8Array[][] = Array.from({ length: chunks }, () => []);
  const sizes: number[] = new Array(chunks).fill(0);
  moved.forEach((tensor, i) => {
    const chunk = Math.floor((i * chunks) / moved.length);
    const bytes = tensor.raw_data as Uint8Array;
    tensor.external_data = [
      { key: 'location', value: externalDataChunkName(options.file, chunk) },
      { key: 'offset', value: String(sizes[chunk]) },
      { key: 'length', value: String(bytes.length) },
    ];
    tensor.data_location = DataLocation.EXTERNAL;
    delete tensor.raw_data;
    parts[chunk]!.push(bytes);
    sizes[chunk]! += bytes.length;
  });
  return {
    graph: type.encode(message as unknown as Parameters<typeof type.encode>[0]).finish(),
    data: parts.map((list, chunk) => ({
      file: externalDataChunkName(options.file, chunk),
      bytes: Buffer.concat(list),
    })),
  };
}
