/**
 * Model artifacts as stores serve them: a .tar.gz of a built model, and a directory's files plus its
 * SHA256SUMS manifest, with the digests a ModelVersion would pin.
 * @module
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { create } from 'tar';
import { manifestDigest, manifestText } from '../../../runtime/src/model-store/digest.js';
import { modelDir, type TestModel } from './runtime.js';

export interface ArchiveArtifact {
  readonly bytes: Buffer;
  readonly sha256: string;
}

/** A gzipped tar of `model`'s directory, wrapped in one top-level folder as `tar czf m.tgz m/` makes it. */
export async function archiveOf(model: TestModel): Promise<ArchiveArtifact> {
  const dir = modelDir(model);
  const out = await mkdtemp(join(tmpdir(), 'runtime-archive-'));
  try {
    const file = join(out, 'model.tar.gz');
    await create({ gzip: true, file, cwd: dirname(dir), portable: true }, [basename(dir)]);
    const bytes = await readFile(file);
    return { bytes, sha256: createHash('sha256').update(bytes).digest('hex') };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

export interface DirectoryArtifact {
  /** Relative path → bytes. */
  readonly files: Map<string, Buffer>;
  /** `sha256sum` output for the files, as an https directory serves it. */
  readonly manifest: string;
  /** The directory digest (what `MODEL_ARTIFACT_SHA256` pins). */
  readonly sha256: string;
}

export async function directoryOf(model: TestModel): Promise<DirectoryArtifact> {
  const dir = modelDir(model);
  const files = new Map<string, Buffer>();
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile()) continue;
    const full = join(entry.parentPath, entry.name);
    files.set(relative(dir, full), await readFile(full));
  }
  const entries = [...files].map(([path, bytes]) => ({
    path,
    sha256: createHash('sha256').update(bytes).digest('hex'),
  }));
  return { files, manifest: manifestText(entries), sha256: manifestDigest(entries) };
}
