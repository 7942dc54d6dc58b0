/**
 * Real runtime processes for router tests: `runtime/src/main.ts` forked the way local mode starts it,
 * serving a model from models/build (built by `make models`).
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '../../..');

export interface RuntimeProcess {
  readonly address: string;
  readonly process: ChildProcess;
  stop(): Promise<void>;
}

export async function startRuntimeProcess(
  artifact: string,
  model: string,
  version: string,
  env: Record<string, string> = {},
): Promise<RuntimeProcess> {
  const child = fork(join(ROOT, 'runtime/src/main.ts'), [], {
    execArgv: ['--import', 'tsx'],
    env: {
      ...process.env,
      MODEL_NAME: model,
      MODEL_VERSION: version,
      MODEL_ARTIFACT_URI: pathToFileURL(join(ROOT, 'models/build', artifact)).href,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      LOG_LEVEL: 'warn',
      METRICS_PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((ok, fail) => {
    let listening = 0;
    const timer = setTimeout(() => fail(new Error(`runtime ${model} did not become ready`)), 30_000);
    child.on('message', (m: { type: string; port?: number }) => {
      if (m.type === 'listening') listening = m.port as number;
      if (m.type === 'ready') {
        clearTimeout(timer);
        ok(listening);
      }
    });
    child.once('exit', (code) => fail(new Error(`runtime ${model} exited with ${code}`)));
  });
  return {
    address: `127.0.0.1:${port}`,
    process: child,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}
