/**
 * Builds the router around real components (manifest store, runtime gRPC backend, OpenAI backend,
 * in-memory usage and jobs) and serves it on a loopback port.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { createApp } from '../../../api/src/app.js';
import { envApiKeyResolver, OpenAIBackend } from '../../../api/src/backends/openai-backend.js';
import { BackendRegistry } from '../../../api/src/backends/registry.js';
import { RuntimeBackend } from '../../../api/src/backends/runtime-backend.js';
import { StoreCatalog } from '../../../api/src/catalog/store-catalog.js';
import { type Config, loadConfig } from '../../../api/src/config.js';
import { InferenceService } from '../../../api/src/inference/inference-service.js';
import { MemoryJobQueue } from '../../../api/src/jobs/memory-job-queue.js';
import { MemoryUsageStore } from '../../../api/src/metering/memory-usage-store.js';
import { createMetrics } from '../../../api/src/metrics/registry.js';
import { localReadiness } from '../../../api/src/readiness.js';
import { batchItemRunner } from '../../../api/src/routes/jobs.js';
import { ManifestStore } from '../../../operator/src/local/manifest-store.js';

export interface TestRouter {
  readonly url: string;
  readonly store: ManifestStore;
  readonly config: Config;
  close(): Promise<void>;
}

export async function startTestRouter(
  modelsDir: string,
  env: Record<string, string> = {},
  keys: Record<string, string> = {},
): Promise<TestRouter> {
  const logger = pino({ level: 'silent' });
  const config = loadConfig({ MODELS_DIR: modelsDir, PORT: '0', ...env });
  const store = new ManifestStore({ dir: modelsDir, logger });
  await store.load();
  const catalog = new StoreCatalog(store);
  const metrics = createMetrics({ defaultMetrics: false });
  const runtimes = new RuntimeBackend();
  const usage = new MemoryUsageStore(30);
  const inference = new InferenceService({
    catalog,
    backends: new BackendRegistry({ onnx: runtimes, openai: new OpenAIBackend(envApiKeyResolver(keys)) }),
    usage,
    metrics,
    logger,
    timeoutMs: config.REQUEST_TIMEOUT_MS,
  });
  const jobs = new MemoryJobQueue({
    run: batchItemRunner(inference),
    concurrency: 2,
    ttlMs: 60_000,
    logger,
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
    startedAt: new Date(),
  });
  const server = app.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    config,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await jobs.close();
      runtimes.close();
      store.close();
    },
  };
}
