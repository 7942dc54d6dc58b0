/**
 * Starts local mode the way a user does (`node --import tsx api/src/main.ts`, which `make run` runs) as a
 * child process, from a copy of examples/ whose artifact paths point at models/build.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

export const ROOT = resolve(import.meta.dirname, '../..');

export interface LocalRouter {
  readonly url: string;
  readonly dir: string;
  readonly process: ChildProcess;
  readonly logs: Record<string, unknown>[];
  /** Sends SIGINT and waits for the exit code. */
  stop(): Promise<number | null>;
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
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      MODELS_DIR: dir,
      PORT: '0',
      LOCAL_RUNTIME_OUTPUT: 'ignore',
      OPENAI_API_KEY: '',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: Record<string, unknown>[] = [];
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('router did not start within 30 s')), 30_000);
    child.once('exit', (code) => fail(new Error(`router exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry.msg === 'Router listening') {
        clearTimeout(timer);
        ok(entry.url as string);
      }
    });
  });
  return {
    url,
    dir,
    process: child,
    logs,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      const exited = once(child, 'exit');
      child.kill('SIGINT');
      const [code] = (await exited) as [number | null];
      await rm(dir, { recursive: true, force: true });
      return code;
    },
  };
}

export { eventually } from '../support/eventually.js';
