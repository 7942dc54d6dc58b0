/**
 * Local model directories: a `file://` artifact used in place, and the layout check every artifact passes
 * (remote ones after they land in the cache, see `store.ts`).
 * @module
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  checkExternalData,
  chooseOnnxFile,
  externalDataLocations,
  isOnnxFileProblem,
  type OnnxDtype,
  type OnnxFileChoice,
} from '../engine/onnx-files.js';
import { ArtifactInvalidError, ArtifactUnavailableError } from '../errors.js';
import { artifactDigest, directoryFiles } from './digest.js';
import { parseArtifactUri } from './uri.js';

/**
 * Files every model directory must hold besides an ONNX graph (the Hugging Face layout transformers.js and
 * the engines read). Which graph is opened, and which graphs count, is `engine/onnx-files.ts`'s choice.
 */
export const REQUIRED_FILES = ['config.json', 'tokenizer.json', 'tokenizer_config.json'] as const;

/** A verified local artifact. */
export interface ResolvedArtifact {
  readonly dir: string;
  /** The digest that was checked; absent when no sha256 was configured. */
  readonly sha256?: string;
}

/**
 * The local directory a `file://` URI names.
 * @throws {ArtifactInvalidError} for a malformed URI, another scheme, or a host part.
 */
export function artifactPath(uri: string): string {
  const location = parseArtifactUri(uri);
  if (location.scheme !== 'file') {
    throw new ArtifactInvalidError(uri, `artifact URI '${uri}' is not a file:// URI`);
  }
  return location.path;
}

async function kindOf(path: string): Promise<'file' | 'directory' | 'other' | 'missing'> {
  try {
    const info = await stat(path);
    return info.isFile() ? 'file' : info.isDirectory() ? 'directory' : 'other';
  } catch {
    return 'missing';
  }
}

/**
 * Checks that `dir` is a directory holding {@link REQUIRED_FILES} and an ONNX graph of some dtype (with every
 * chunk of its external data); the configured dtype's own file is checked when the model loads.
 * @throws {ArtifactUnavailableError} when `dir` does not exist (yet: a volume not mounted, a path mistyped).
 * @throws {ArtifactInvalidError} naming what is missing and, for the graph, what is there.
 */
export async function checkModelDirectory(uri: string, dir: string): Promise<void> {
  const kind = await kindOf(dir);
  if (kind === 'missing') throw new ArtifactUnavailableError(uri, `artifact directory ${dir} does not exist`);
  if (kind !== 'directory')
    throw new ArtifactInvalidError(uri, `artifact directory ${dir} is not a directory`);
  const files = await directoryFiles(dir);
  const present = new Set(files);
  const missing = REQUIRED_FILES.filter((file) => !present.has(file));
  const graph = chooseOnnxFile(files);
  const problems = [
    ...(missing.length > 0 ? [`lacks ${missing.join(', ')}`] : []),
    ...(isOnnxFileProblem(graph) ? [graph.message] : []),
  ];
  if (problems.length > 0) {
    throw new ArtifactInvalidError(uri, `artifact directory ${dir} ${problems.join('; ')}`);
  }
}

/** Graph files up to this size are read to check that the external data files they name are present. */
const MAX_GRAPH_BYTES_SCANNED = 64 * 2 ** 20;

/**
 * The graph of a verified model directory that `dtype` (or, without one, the default order) opens, with its
 * external data files.
 * @throws {ArtifactInvalidError} when the directory lacks that dtype's file, or an external data file the graph
 * names, naming the files expected and present.
 */
export async function modelGraph(dir: string, dtype?: OnnxDtype): Promise<OnnxFileChoice> {
  const uri = pathToFileURL(dir).href;
  const files = await directoryFiles(dir);
  const choice = chooseOnnxFile(files, dtype);
  if (isOnnxFileProblem(choice))
    throw new ArtifactInvalidError(uri, `artifact directory ${dir}: ${choice.message}`);
  // A graph whose weights live outside it is small; a large one holds them inline and is not read twice.
  const path = join(dir, choice.graph);
  if ((await stat(path)).size <= MAX_GRAPH_BYTES_SCANNED) {
    const bytes = await readFile(path);
    let locations: string[];
    try {
      locations = externalDataLocations(bytes);
    } catch (error) {
      throw new ArtifactInvalidError(uri, `${path} is not an ONNX model: ${(error as Error).message}`);
    }
    const problem = checkExternalData(choice.graph, locations, files);
    if (problem) throw new ArtifactInvalidError(uri, `artifact directory ${dir}: ${problem.message}`);
  }
  return choice;
}

/**
 * Resolves `uri` and verifies the directory: it exists, holds {@link REQUIRED_FILES} and a graph, and, when
 * `sha256` is given, its digest (see `digest.ts`) matches.
 * @throws {ArtifactUnavailableError} when the directory does not exist.
 * @throws {ArtifactInvalidError} naming what is wrong (for a digest, the expected and the actual value).
 */
export async function resolveArtifact(uri: string, sha256?: string): Promise<ResolvedArtifact> {
  const dir = artifactPath(uri);
  await checkModelDirectory(uri, dir);
  if (sha256 === undefined) return { dir };
  const actual = await artifactDigest(dir);
  if (actual !== sha256) {
    throw new ArtifactInvalidError(uri, `sha256 mismatch for ${dir}: expected ${sha256}, actual ${actual}`);
  }
  return { dir, sha256 };
}
