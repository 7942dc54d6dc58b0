/**
 * Content digests of model artifacts.
 *
 * A model directory's digest is the sha256 of its manifest: one line `<sha256-hex>  <relative/path>\n` per
 * regular file, sorted bytewise by path. That is exactly what coreutils prints, so anyone can reproduce it:
 *
 *   cd model-dir && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs sha256sum | sha256sum
 *
 * A single file's (e.g. an archive's) digest is the sha256 of its bytes.
 * @module
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';

/** sha256 hex of one file, streamed so large artifacts never sit in memory. */
export async function fileDigest(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function listFiles(root: string, dir: string, out: string[]): Promise<void> {
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (entry.isDirectory()) await listFiles(root, full, out);
    else if (entry.isFile()) out.push(relative(root, full).split(sep).join('/'));
  }
}

/** The regular files under `root`, as paths relative to it with `/` separators (what the manifest lists). */
export async function directoryFiles(root: string): Promise<string[]> {
  const files: string[] = [];
  await listFiles(root, root, files);
  return files;
}

/** Manifest text of files whose digests are known: sorted bytewise by path, one `<hex>  <path>` a line. */
export function manifestText(entries: readonly { path: string; sha256: string }[]): string {
  return [...entries]
    .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)))
    .map((e) => `${e.sha256}  ${e.path}\n`)
    .join('');
}

/** The digest of a directory from its files' digests, without reading the files again. */
export function manifestDigest(entries: readonly { path: string; sha256: string }[]): string {
  return createHash('sha256').update(manifestText(entries)).digest('hex');
}

/** The manifest lines of a directory, in the order the digest hashes them. */
export async function directoryManifest(root: string): Promise<string> {
  const files = await directoryFiles(root);
  const entries: { path: string; sha256: string }[] = [];
  for (const path of files) entries.push({ path, sha256: await fileDigest(join(root, path)) });
  return manifestText(entries);
}

/** sha256 hex of a model artifact: a directory (via its manifest) or a single file. */
export async function artifactDigest(path: string): Promise<string> {
  const info = await stat(path);
  if (!info.isDirectory()) return fileDigest(path);
  return createHash('sha256')
    .update(await directoryManifest(path))
    .digest('hex');
}
