/**
 * The router as a child process, started the way `make run` and the chart start it
 * (`node --import tsx api/src/main.ts`) on a free loopback port, its JSON log lines kept for assertions.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';

const ROOT = resolve(import.meta.dirname, '../..');

export interface RouterProcess {
  readonly process: ChildProcess;
  readonly url: string;
  readonly logs: Record<string, unknown>[];
  /** Signals the router (SIGTERM by default) and waits for its exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function spawnRouter(env: Record<string, string | undefined>): Promise<RouterProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'api/src/main.ts'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: Record<string, unknown>[] = [];
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error('router did not start within 30 s'));
    }, 30_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`router exited with ${code}`));
    });
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
    process: child,
    url,
    logs,
    stop(signal = 'SIGTERM') {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
      const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
      child.kill(signal);
      return exited;
    },
  };
}
