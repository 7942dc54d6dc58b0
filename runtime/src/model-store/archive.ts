/**
 * Unpacks a verified `.tar.gz` model archive into a directory, refusing anything but plain files and
 * directories (links could point outside the cache) and, through node-tar's defaults, absolute paths and `..`.
 * @module
 */
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { extract, type ReadEntry } from 'tar';
import { ArtifactInvalidError } from '../errors.js';

/**
 * Extracts `archive` into `dest` (which must exist) and returns the model directory inside it: `dest` itself,
 * or its only subdirectory when the archive wraps everything in one top-level folder (as `tar czf m.tgz m/` does).
 * @throws {ArtifactInvalidError} for a corrupt archive or an entry that is not a file or a directory.
 */
export async function extractArchive(uri: string, archive: string, dest: string): Promise<string> {
  const refused: string[] = [];
  try {
    await extract({
      file: archive,
      cwd: dest,
      strict: true,
      // Ownership and permissions from someone else's machine mean nothing here.
      preserveOwner: false,
      filter: (path: string, entry: unknown) => {
        const type = (entry as ReadEntry).type;
        if (type === 'File' || type === 'OldFile' || type === 'ContiguousFile' || type === 'Directory')
          return true;
        refused.push(`${path} (${type})`);
        return false;
      },
    });
  } catch (error) {
    throw new ArtifactInvalidError(uri, `cannot extract the archive: ${(error as Error).message}`);
  }
  if (refused.length > 0) {
    throw new ArtifactInvalidError(
      uri,
      `the archive holds entries that are not plain files or directories: ${refused.slice(0, 5).join(', ')}`,
    );
  }
  const entries = await readdir(dest);
  if (entries.length === 1) {
    const only = join(dest, entries[0] as string);
    if ((await stat(only)).isDirectory()) return only;
  }
  return dest;
}
