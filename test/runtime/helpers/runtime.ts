/**
 * Test helpers: real runtimes on real models from models/build (built by `make models`), in-process on port 0.
 * @module
 */
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { RuntimeCallError, RuntimeClient } from '../../../runtime/src/client/index.js';
import { loadConfig, type RuntimeConfig } from '../../../runtime/src/config.js';
import { createLogger } from '../../../runtime/src/logger.js';
import { RuntimeServer } from '../../../runtime/src/server/server.js';

/** The models `make models` builds. */
export type TestModel = 'story-writer-v1' | 'story-writer-v2' | 'sentiment-v1' | 'sentence-embedder-v1';

/** Absolute path of a built model; fails loudly (not skips) when `make models` has not run. */
export function modelDir(model: TestModel): string {
  const dir = fileURLToPath(new URL(`../../../models/build/${model}`, import.meta.url));
  if (!existsSync(dir)) throw new Error(`${dir} does not exist: run \`make models\` first`);
  return dir;
}

export interface TestRuntime {
  readonly server: RuntimeServer;
  readonly client: RuntimeClient;
  readonly config: RuntimeConfig;
  readonly port: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Served model name; defaults to the directory name without its version suffix. */
  readonly name?: string;
  /** Directory to serve instead of the built model's (e.g. a temp copy). */
  readonly dir?: string;
  readonly sha256?: string;
  readonly configuration?: Record<string, unknown>;
  /** Any other runtime variable (batching, cache, drain, ...). */
  readonly env?: Record<string, string>;
  /** Artifact URI to serve instead of the built model's directory (remote stores). */
  readonly uri?: string;
}

/** Starts a runtime serving `model` and waits until it is loaded. */
export async function startRuntime(model: TestModel, options: StartOptions = {}): Promise<TestRuntime> {
  const config = loadConfig({
    MODEL_NAME: options.name ?? model.replace(/-v\d+$/, ''),
    MODEL_VERSION: 'v1',
    MODEL_ARTIFACT_URI: options.uri ?? pathToFileURL(options.dir ?? modelDir(model)).href,
    MODEL_ARTIFACT_SHA256: options.sha256,
    MODEL_CONFIGURATION: options.configuration ? JSON.stringify(options.configuration) : undefined,
    GRPC_HOST: '127.0.0.1',
    GRPC_PORT: '0',
    LOG_LEVEL: process.env.RUNTIME_TEST_LOG_LEVEL ?? 'silent',
    ...options.env,
  });
  const server = new RuntimeServer({ config, logger: createLogger(config) });
  const port = await server.listen();
  const client = new RuntimeClient(`127.0.0.1:${port}`);
  try {
    await server.load();
  } catch (error) {
    client.close();
    await server.shutdown(0);
    throw error;
  }
  return {
    server,
    client,
    config,
    port,
    stop: async () => {
      client.close();
      await server.shutdown(2000);
    },
  };
}

/** Asserts that `call` fails with RuntimeCallError of `code` whose message contains `message`. */
export async function expectCallError(
  call: Promise<unknown>,
  code: string,
  message: string,
): Promise<RuntimeCallError> {
  const error = await call.then(
    () => expect.fail(`expected ${code}, but the call succeeded`),
    (e: unknown) => e,
  );
  expect(error).to.be.instanceOf(RuntimeCallError);
  expect((error as RuntimeCallError).code, (error as Error).message).to.equal(code);
  expect((error as Error).message).to.include(message);
  return error as RuntimeCallError;
}
