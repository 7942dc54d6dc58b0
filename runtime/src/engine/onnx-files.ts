/**
 * Which ONNX graph of a model directory to open, and which external data files come with it: pure decisions
 * over the directory's file list, so they can be tested as tables.
 *
 * File names follow transformers.js (`DEFAULT_DTYPE_SUFFIX_MAPPING` in src/utils/dtypes.js): the dtype picks
 * a suffix, `onnx/model.onnx` (fp32), `onnx/model_fp16.onnx`, `onnx/model_quantized.onnx` (q8), ... Older
 * exports name the graph `decoder_model_merged` (Optimum's merged decoder) or `decoder_model` (no cache),
 * with the same suffixes. Graphs are looked for in `onnx/` (transformers.js's layout) and then at the top of
 * the directory (where `optimum-cli export onnx` writes them).
 *
 * External data sits beside its graph: `<graph>_data`, then `<graph>_data_1`, `<graph>_data_2`, ... (the
 * chunk names transformers.js reads with `use_external_data_format`). onnxruntime opens them itself when the
 * graph is loaded by path; they are listed here so that a gap in the chunks is refused before loading.
 * @module
 */

/** transformers.js dtypes and the suffix each gives the graph's file name. */
export const DTYPE_SUFFIXES = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  int8: '_int8',
  uint8: '_uint8',
  q4: '_q4',
  q4f16: '_q4f16',
  bnb4: '_bnb4',
  q2: '_q2',
  q2f16: '_q2f16',
  q1: '_q1',
  q1f16: '_q1f16',
} as const;

export type OnnxDtype = keyof typeof DTYPE_SUFFIXES;

/**
 * The dtypes in the order a directory's graph is chosen when the configuration names none: the closest to
 * the original weights first (fp32, fp16, then 8-bit, 4-bit, 2-bit and 1-bit quantisations).
 */
export const ONNX_DTYPES = Object.keys(DTYPE_SUFFIXES) as OnnxDtype[];

/** Graph base names, in the order they are preferred: a merged decoder has a cache, `decoder_model` has none. */
export const GRAPH_NAMES = ['model', 'decoder_model_merged', 'decoder_model'] as const;

/** Folders looked in for graphs, in order: transformers.js's `onnx/`, then the top (Optimum CLI exports). */
export const GRAPH_FOLDERS = ['onnx/', ''] as const;

/** The graph to open: its path relative to the model directory, its dtype, and its external data files. */
export interface OnnxFileChoice {
  readonly graph: string;
  readonly dtype: OnnxDtype;
  /** Relative paths of `<graph>_data`, `<graph>_data_1`, ... in chunk order; empty when weights are inline. */
  readonly externalData: readonly string[];
}

/** Why no graph can be opened: what was looked for and which ONNX files the directory holds. */
export interface OnnxFileProblem {
  readonly message: string;
  readonly expected: readonly string[];
  readonly present: readonly string[];
}

/** The file name a dtype gives a graph base name, e.g. (`model`, `q8`) -> `model_quantized.onnx`. */
export function graphFileName(name: (typeof GRAPH_NAMES)[number], dtype: OnnxDtype): string {
  return `${name}${DTYPE_SUFFIXES[dtype]}.onnx`;
}

/** Whether `file` is a graph or external data file (what a problem lists as present). */
const isOnnxFile = (file: string) => /\.onnx(_data(_\d+)?)?$/.test(file);

/** The graphs a dtype (or, without one, any dtype) would open, in order of preference. */
function candidates(dtype?: OnnxDtype): { file: string; dtype: OnnxDtype }[] {
  const dtypes = dtype ? [dtype] : ONNX_DTYPES;
  return GRAPH_FOLDERS.flatMap((folder) =>
    GRAPH_NAMES.flatMap((name) =>
      dtypes.map((d) => ({ file: `${folder}${graphFileName(name, d)}`, dtype: d })),
    ),
  );
}

/** Relative paths of the graphs a dtype (or, without one, any dtype) would open, in order of preference. */
export function candidateGraphs(dtype?: OnnxDtype): string[] {
  return candidates(dtype).map((c) => c.file);
}

/** The external data chunks of `graph` among `present`, or a problem when their numbering has a gap. */
function externalDataOf(graph: string, present: ReadonlySet<string>): string[] | OnnxFileProblem {
  const prefix = `${graph}_data`;
  const chunkName = (n: number) => (n === 0 ? prefix : `${prefix}_${n}`);
  const numbers = [...present]
    .map((file) =>
      file === prefix ? 0 : file.startsWith(`${prefix}_`) ? Number(file.slice(prefix.length + 1)) : -1,
    )
    .filter((n) => Number.isInteger(n) && n >= 0)
    .sort((a, b) => a - b);
  const missing = numbers.length > 0 ? numbers.findIndex((n, i) => n !== i) : -1;
  if (missing >= 0) {
    const found = numbers.map(chunkName);
    return {
      message: `the external data of ${graph} lacks ${chunkName(missing)} (present: ${found.join(', ')}); chunks are named ${prefix}, ${prefix}_1, ${prefix}_2, ... without gaps`,
      expected: [chunkName(missing)],
      present: found,
    };
  }
  return numbers.map(chunkName);
}

/** What a problem says is there: the ONNX files, else (a few of) the files. */
function describePresent(files: readonly string[]): { present: string[]; text: string } {
  const onnx = files.filter(isOnnxFile).sort();
  if (onnx.length > 0) return { present: onnx, text: `the ONNX files present are ${onnx.join(', ')}` };
  const some = [...files].sort().slice(0, 12);
  const more = files.length > some.length ? `, ... (${files.length} files)` : '';
  return {
    present: [],
    text: `no .onnx file is present (the directory holds ${some.join(', ') || 'nothing'}${more})`,
  };
}

/**
 * Chooses the graph of a model directory: with `dtype`, the first of {@link candidateGraphs}(dtype) present;
 * without, the first present in the order {@link GRAPH_FOLDERS}, then {@link GRAPH_NAMES}, then
 * {@link ONNX_DTYPES}. `files` are paths relative to the directory, with `/` separators.
 */
export function chooseOnnxFile(
  files: readonly string[],
  dtype?: OnnxDtype,
): OnnxFileChoice | OnnxFileProblem {
  const present = new Set(files);
  const chosen = candidates(dtype).find((c) => present.has(c.file));
  if (chosen === undefined) {
    const expected = candidateGraphs(dtype);
    const there = describePresent(files);
    const wanted = dtype
      ? `dtype ${dtype} needs ${expected.join(' or ')}`
      : `no ONNX graph: expected onnx/model.onnx or another transformers.js name (model, decoder_model_merged or decoder_model, plain or with a dtype suffix such as _fp16, _quantized, _q4, _q4f16; in onnx/ or at the top of the directory)`;
    return { message: `${wanted}; ${there.text}`, expected, present: there.present };
  }
  const externalData = externalDataOf(chosen.file, present);
  if (!Array.isArray(externalData)) return externalData;
  return { graph: chosen.file, dtype: chosen.dtype, externalData };
}

/** Whether a choice failed. */
export function isOnnxFileProblem(result: OnnxFileChoice | OnnxFileProblem): result is OnnxFileProblem {
  return 'message' in result;
}

/** Reads a protobuf varint at `at`; returns the value (exact below 2^53) and the next offset. */
function varint(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let scale = 1;
  let i = at;
  for (;;) {
    if (i >= bytes.length) throw new Error('truncated varint');
    const byte = bytes[i++] as number;
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return [value, i];
    scale *= 128;
  }
}

/** Calls `onField(field, start, end)` for each length-delimited field of the message in `bytes[from, to)`. */
function eachLengthDelimited(
  bytes: Uint8Array,
  from: number,
  to: number,
  onField: (field: number, start: number, end: number) => void,
): void {
  let at = from;
  while (at < to) {
    const [key, next] = varint(bytes, at);
    const field = Math.floor(key / 8);
    at = next;
    switch (key & 7) {
      case 0:
        at = varint(bytes, at)[1];
        break;
      case 1:
        at += 8;
        break;
      case 5:
        at += 4;
        break;
      case 2: {
        const [length, start] = varint(bytes, at);
        at = start + length;
        if (at > to) throw new Error('truncated field');
        onField(field, start, at);
        break;
      }
      default:
        throw new Error(`unsupported wire type ${key & 7}`);
    }
  }
}

/**
 * The external data files a serialised ONNX ModelProto's initializers name (TensorProto `external_data`
 * entries with key `location`), relative to the graph file's folder, sorted and without repeats. Reads the
 * protobuf wire format directly: ModelProto.graph (7) -> GraphProto.initializer (5) -> TensorProto.external_data
 * (13) -> StringStringEntryProto key (1) / value (2).
 * @throws {Error} when the bytes are not a well-formed protobuf message.
 */
export function externalDataLocations(model: Uint8Array): string[] {
  const text = new TextDecoder();
  const locations = new Set<string>();
  eachLengthDelimited(model, 0, model.length, (field, start, end) => {
    if (field !== 7) return;
    eachLengthDelimited(model, start, end, (graphField, tStart, tEnd) => {
      if (graphField !== 5) return;
      eachLengthDelimited(model, tStart, tEnd, (tensorField, eStart, eEnd) => {
        if (tensorField !== 13) return;
        const entry: Record<number, string> = {};
        eachLengthDelimited(model, eStart, eEnd, (f, s, e) => {
          entry[f] = text.decode(model.subarray(s, e));
        });
        if (entry[1] === 'location' && entry[2] !== undefined) locations.add(entry[2]);
      });
    });
  });
  return [...locations].sort();
}

/**
 * Checks that every external data file `graph` names (its {@link externalDataLocations}, relative to the
 * graph's folder) is among `files` and inside the directory; returns the problem, if any.
 */
export function checkExternalData(
  graph: string,
  locations: readonly string[],
  files: readonly string[],
): OnnxFileProblem | undefined {
  const folder = graph.includes('/') ? graph.slice(0, graph.lastIndexOf('/') + 1) : '';
  const outside = locations.filter((l) => l.startsWith('/') || l.split(/[\\/]/).includes('..'));
  if (outside.length > 0) {
    return {
      message: `${graph} names external data outside the artifact directory: ${outside.join(', ')}`,
      expected: outside,
      present: [],
    };
  }
  const present = new Set(files);
  const wanted = locations.map((l) => `${folder}${l.replace(/^\.\//, '')}`);
  const missing = wanted.filter((path) => !present.has(path));
  if (missing.length === 0) return undefined;
  const there = files.filter((f) => f.startsWith(folder) && /_data(_\d+)?$|\.data$|\.bin$/.test(f)).sort();
  return {
    message: `${graph} keeps weights in ${missing.join(', ')}, which the artifact lacks (${there.length > 0 ? `data files present: ${there.join(', ')}` : 'no data file is present'}); copy every file the export wrote beside the graph and name each in SHA256SUMS`,
    expected: missing,
    present: there,
  };
}
