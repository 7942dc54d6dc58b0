/**
 * Local model directories: a `file://` artifact used in place, and the layout check every artifact passes
 * (remote ones after they land in the cache, see `store.ts`).
 * @module
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ArtifactInvalidError } from '../errors.js';
import { artifactDigest } from './digest.js';
import { parseArtifactUri } from './uri.js';

/** Files every model directory must hold (the Hugging Face layout transformers.js and the engines read). */
export const REQUIRED_FILES = [
  'config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'onnx/model.onnx',
] as const;

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
 * Checks that `dir` is a directory holding {@link REQUIRED_FILES}.
 * @throws {ArtifactInvalidError} naming what is missing.
 */
export async function checkModelDirectory(uri: string, dir: string): Promise<void> {
  const kind = await kindOf(dir);
  if (kind !== 'directory') {
    const what = kind === 'missing' ? 'does not exist' : 'is not a directory';
    throw new ArtifactInvalidError(uri, `artifact directory ${dir} ${what}`);
  }
  const kinds = await Promise.all(REQUIRED_FILES.map((file) => kindOf(join(dir, file))));
  const missing = REQUIRED_FILES.filter((_, i) => kinds[i] !== 'file');
  if (missing.length > 0) {
    throw new ArtifactInvalidError(uri, `artifact directory ${dir} lacks ${missing.join(', ')}`);
  }
}

/**
 * Resolves `uri` and verifies the directory: it exists, holds {@link REQUIRED_FILES}, and, when `sha256` is
 * given, its digest (see `digest.ts`) matches.
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
