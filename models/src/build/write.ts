/**
 * Puts built artifacts on disk atomically: each model directory is written beside its final place and
 * renamed into it, so a reader (a runtime, a test, an interrupted build) sees the old directory or the
 * new one, never half of one. digests.json is replaced the same way.
 * @module
 */
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { artifactDigest } from '../../../runtime/src/model-store/digest.js';
import type { Artifact } from './artifact.js';

/** Writes `<outDir>/<name>/` and returns its directory digest. */
export async function writeArtifact(outDir: string, artifact: Artifact): Promise<string> {
  const final = join(outDir, artifact.name);
  const tmp = join(outDir, `.${artifact.name}.tmp-${process.pid}`);
  const old = join(outDir, `.${artifact.name}.old-${process.pid}`);
  await rm(tmp, { recursive: true, force: true });
  for (const [path, bytes] of artifact.files) {
    const file = join(tmp, ...path.split('/'));
    await mkdir(dirname(file), { recursive: true });
    await writeFile(file, bytes);
  }
  // rename() cannot replace a non-empty directory, so the old one steps aside first.
  await rm(old, { recursive: true, force: true });
  await rename(final, old).catch((e: NodeJS.ErrnoException) => {
    if (e.code !== 'ENOENT') throw e;
  });
  await rename(tmp, final);
  await rm(old, { recursive: true, force: true });
  return artifactDigest(final);
}

/** Merges `digests` into `<outDir>/digests.json` (keys sorted) and returns the full map. */
export async function updateDigests(outDir: string, digests: Record<string, string>): Promise<Record<string, string>> {
  const path = join(outDir, 'digests.json');
  let current: Record<string, string> = {};
  try {
    current = JSON.parse(await readFile(path, 'utf8')) as Record<string, string>;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
  const merged = { ...current, ...digests };
  const sorted = Object.fromEntries(Object.keys(merged).sort().map((k) => [k, merged[k]!]));
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(sorted, null, 2)}\n`);
  await rename(tmp, path);
  return sorted;
}
