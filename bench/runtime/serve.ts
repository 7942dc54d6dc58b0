/**
 * Shared by the runtime benchmarks: an in-process runtime on a built model with the given variables, and a
 * way to drive it from a separate load-generator process (bench/runtime/load.ts).
 * @module
 */
import { execFile } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { loadConfig } from '../../runtime/src/config.js';
import { createLogger } from '../../runtime/src/logger.js';
import { RuntimeServer } from '../../runtime/src/server/server.js';

const run = promisify(execFile);
const LOAD = new URL('./load.ts', import.meta.url).pathname;

export const MODELS = new URL('../../models/build/', import.meta.url).pathname;

export interface Served {
  readonly server: RuntimeServer;
  readonly address: string;
  stop(): Promise<void>;
}

/** Serves `model`: a directory of models/build by name, or an absolute path to a model directory. */
export async function serve(model: string, name: string, env: Record<string, string>): Promise<Served> {
  const config = loadConfig({
    MODEL_NAME: name,
    MODEL_VERSION: 'v1',
    MODEL_ARTIFACT_URI: pathToFileURL(isAbsolute(model) ? model : `${MODELS}${model}`).href,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    LOG_LEVEL: 'silent',
    ...env,
  });
  const server = new RuntimeServer({ config, logger: createLogger(config) });
  const port = await server.listen();
  await server.load();
  return { server, address: `127.0.0.1:${port}`, stop: async () => void (await server.shutdown(2000)) };
}

export interface LoadResult {
  readonly rps: number;
  readonly tokensPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly firstTokenP50: number;
}

/** Runs bench/runtime/load.ts in a child process against `address`. */
export async function load(spec: Record<string, unknown>): Promise<LoadResult> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', LOAD, JSON.stringify(spec)], {
    maxBuffer: 1 << 20,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) as string) as LoadResult;
}

export function machine(): string {
  const [one] = loadavg();
  return `${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}, load average ${one?.toFixed(2)} at start`;
}

export const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

export const TEXTS = [
  'what a lovely kind robot',
  'the soup was cold and awful',
  'a bright and happy garden in the morning',
  'the broken old car was terrible',
  'my friend was gentle and warm',
  'the rain ruined a sad grey day',
  'we laughed at the wonderful show',
  'the dull room felt awful and cold',
];
