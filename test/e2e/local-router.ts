/**
 * Starts local mode the way a user does (`node --import tsx api/src/main.ts`, which `make run` runs) as a
 * child process, from a copy of examples/ whose artifact paths point at models/build.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type RouterProcess, spawnRouter } from '../support/router-process.js';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface LocalRouter extends RouterProcess {
  readonly dir: string;
}

/** Copies examples/ into a temp folder, turning `file:../models/build/x` into absolute file URIs. */
export async function copyExamples(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'local-mode-'));
  const build = pathToFileURL(join(ROOT, 'models/build')).href;
  for (const file of await readdir(join(ROOT, 'examples'))) {
    const text = await readFile(join(ROOT, 'examples', file), 'utf8');
    await writeFile(join(dir, file), text.replaceAll('file:../models/build', build));
  }
  return dir;
}

export async function startLocalRouter(env: Record<string, string> = {}): Promise<LocalRouter> {
  const dir = await copyExamples();
  const router = await spawnRouter({
    MODELS_DIR: dir,
    LOCAL_RUNTIME_OUTPUT: 'ignore',
    OPENAI_API_KEY: '',
    ...env,
  });
  return {
    ...router,
    dir,
    /** Sends SIGINT (what Ctrl-C sends to `make run`), waits for the exit code, removes the copy. */
    async stop() {
      const code = await router.stop('SIGINT');
      await rm(dir, { recursive: true, force: true });
      return code;
    },
  };
}

export { eventually } from '../support/eventually.js';
