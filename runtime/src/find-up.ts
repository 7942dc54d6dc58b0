/**
 * Finds files that ship beside the sources (proto files, package.json) from wherever the code runs.
 *
 * The same module runs from `runtime/src/...` under tsx and from `dist/runtime/src/...` once compiled, so a
 * fixed relative path would be right in only one of them; walking up parent directories is right in both.
 * @module
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The first `<ancestor>/<relativePath>` that exists, searching from `fromUrl`'s directory upwards.
 * @throws {Error} when no ancestor holds the path (a broken install, not a user error).
 */
export function findUp(fromUrl: string, relativePath: string): string {
  let dir = dirname(fileURLToPath(fromUrl));
  for (;;) {
    const candidate = join(dir, relativePath);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find ${relativePath} above ${fileURLToPath(fromUrl)}`);
    dir = parent;
  }
}
