/**
 * Shared access to the built model directories: builds whatever is missing from models/build once per
 * test process, through the same buildModels() the CLI uses.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RECIPES } from '../../../models/src/build/registry.js';
import { buildModels } from '../../../models/src/build/run.js';

export const BUILD_DIR = fileURLToPath(new URL('../../../models/build', import.meta.url));
export const DATA_DIR = fileURLToPath(new URL('../../../models/data', import.meta.url));

function missing(): string[] {
  const digestsPath = `${BUILD_DIR}/digests.json`;
  const digests = existsSync(digestsPath)
    ? (JSON.parse(readFileSync(digestsPath, 'utf8')) as Record<string, string>)
    : {};
  return RECIPES.map((r) => r.name).filter(
    (name) => !digests[name] || !existsSync(`${BUILD_DIR}/${name}/onnx/model.onnx`),
  );
}

let pending: Promise<string> | null = null;

/** The build directory, after building any model that is not there yet (about 7 s for all four). */
export function ensureBuilt(): Promise<string> {
  pending ??= (async () => {
    const only = missing();
    if (only.length) await buildModels({ outDir: BUILD_DIR, dataDir: DATA_DIR, only, threads: 2 });
    return BUILD_DIR;
  })();
  return pending;
}

export function modelDir(name: string): string {
  return `${BUILD_DIR}/${name}`;
}

export function readJson<T>(path: string): T {
  return JSON.parse(readFileSync(path, 'utf8')) as T;
}
