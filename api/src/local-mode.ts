/**
 * Local mode, composed: the manifest folder as the catalog, the operator's local target running one
 * runtime process per onnx ModelVersion, in-memory usage and jobs, and the router on top.
 * @module
 */
import type { AddressInfo } from 'node:net';
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { LocalOperator } from '../../operator/src/local/local-operator.js';
import { ManifestStore } from '../../operator/src/local/manifest-store.js';
import { RuntimeSupervisor } from '../../operator/src/local/supervisor.js';
import { createApp } from './app.js';
import { envApiKeyResolver, OpenAIBackend } from './backends/openai-backend.js';
import { BackendRegistry } from './backends/registry.js';
import { RuntimeBackend } from './backends/runtime-backend.js';
import { StoreCatalog } from './catalog/store-catalog.js';
import type { Config } from './config.js';
import { InferenceService } from './inference/inference-service.js';
import { MemoryJobQueue } from './jobs/memory-job-queue.js';
import { MemoryUsageStore } from './metering/memory-usage-store.js';
import { createMetrics } from './metrics/registry.js';
import { localReadiness } from './readiness.js';
import { batchItemRunner } from './routes/jobs.js';

/** The runtime's entry module: TypeScript source under tsx, compiled JavaScript under dist/. */
export function runtimeEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`../../runtime/src/main${ext}`, import.meta.url).pathname;
}

export interface LocalMode {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function startLocalMode(
  config: Config,
  logger: Logger,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<LocalMode> {
  const startedAt = new Date();
  const store = new ManifestStore({
    dir: resolve(config.MODELS_DIR),
    logger: logger.child({ component: 'manifests' }),
  });
  await store.load();
  store.watch();
  const supervisor = new RuntimeSupervisor({
    logger: logger.child({ component: 'supervisor' }),
    entry: runtimeEntry(),
    output: config.LOCAL_RUNTIME_OUTPUT,
  });
  const operator = new LocalOperator({
    store,
    supervisor,
    logger: logger.child({ component: 'operator' }),
    host: config.RUNTIME_HOST,
    env,
  });
  if (config.LOCAL_RUNTIMES) await operator.start();

  const catalog = new StoreCatalog(store);
  const metrics = createMetrics();
  const runtimes = new RuntimeBackend();
  catalog.onChange(() => {
    const endpoints = new Set(
      catalog.models().flatMap((m) => m.versions.flatMap((v) => (v.endpoint ? [v.endpoint] : []))),
    );
    runtimes.retain(endpoints);
  });
  const usage = new MemoryUsageStore(config.USAGE_RETENTION_DAYS);
  const inference = new InferenceService({
    catalog,
    backends: new BackendRegistry({ onnx: runtimes, openai: new OpenAIBackend(envApiKeyResolver(env)) }),
    usage,
    metrics,
    logger,
    timeoutMs: config.REQUEST_TIMEOUT_MS,
  });
  const jobs = new MemoryJobQueue({
    run: batchItemRunner(inference),
    concurrency: config.BATCH_CONCURRENCY,
    ttlMs: config.JOB_TTL_SECONDS * 1000,
    logger: logger.child({ component: 'jobs' }),
    metrics,
  });
  const app = createApp({
    config,
    catalog,
    inference,
    jobs,
    usage,
    metrics,
    logger,
    repository: runtimes,
    readiness: localReadiness(catalog, runtimes),
    startedAt,
  });
  const server = app.listen(config.PORT, config.HOST);
  await new Promise<void>((ok, fail) => server.once('listening', ok).once('error', fail));
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
  logger.info({ url, modelsDir: store.dir, port }, 'Router listening');

  return {
    url,
    port,
    async close() {
      await new Promise<void>((ok) => server.close(() => ok()));
      server.closeAllConnections();
      await jobs.close();
      store.close();
      await operator.stop();
      runtimes.close();
    },
  };
}
