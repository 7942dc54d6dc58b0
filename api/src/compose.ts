/**
 * Wires the router's components around a catalog: backends, inference, usage, jobs, metrics and the HTTP
 * app. Local mode and the integration tests build the router the same way through this.
 * @module
 */
import type { Express } from 'express';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { envApiKeyResolver, OpenAIBackend } from './backends/openai-backend.js';
import { BackendRegistry } from './backends/registry.js';
import { RuntimeBackend } from './backends/runtime-backend.js';
import type { Catalog } from './catalog/catalog.js';
import type { Config } from './config.js';
import { InferenceService } from './inference/inference-service.js';
import { MemoryJobQueue } from './jobs/memory-job-queue.js';
import { MemoryUsageStore } from './metering/memory-usage-store.js';
import { createMetrics } from './metrics/registry.js';
import { localReadiness } from './readiness.js';
import { batchItemRunner } from './routes/jobs.js';

export interface RouterParts {
  readonly app: Express;
  readonly runtimes: RuntimeBackend;
  /** Stops background work and closes backend channels (not the HTTP server). */
  close(): Promise<void>;
}

export interface ComposeOptions {
  readonly config: Config;
  readonly catalog: Catalog;
  readonly logger: Logger;
  /** Where API keys of `openai` models are read (`spec.endpoint.apiKeyEnv`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Process-level metrics (GC, memory) are off in tests, where many routers share a process. */
  readonly defaultMetrics?: boolean;
}

export function composeRouter(options: ComposeOptions): RouterParts {
  const { config, catalog, logger } = options;
  const metrics = createMetrics({ defaultMetrics: options.defaultMetrics ?? true });
  const runtimes = new RuntimeBackend();
  const unsubscribe = catalog.onChange(() => {
    const endpoints = catalog
      .models()
      .flatMap((m) => m.versions.flatMap((v) => (v.endpoint ? [v.endpoint] : [])));
    runtimes.retain(new Set(endpoints));
  });
  const usage = new MemoryUsageStore(config.USAGE_RETENTION_DAYS);
  const inference = new InferenceService({
    catalog,
    backends: new BackendRegistry({
      onnx: runtimes,
      openai: new OpenAIBackend(envApiKeyResolver(options.env)),
    }),
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
    startedAt: new Date(),
  });
  return {
    app,
    runtimes,
    async close() {
      unsubscribe();
      await jobs.close();
      runtimes.close();
    },
  };
}
