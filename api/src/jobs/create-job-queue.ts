/**
 * The job queue a router process uses: BullMQ on Redis when REDIS_URL is set (shared by every replica and
 * worker), else the in-process queue. ROUTER_MODE=api takes and reads jobs without running items.
 * @module
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Metrics } from '../metrics/registry.js';
import { BullJobQueue } from './bullmq-job-queue.js';
import type { ItemRunner, JobQueue, WorkerSettings } from './job-queue.js';
import { MemoryJobQueue } from './memory-job-queue.js';
import type { JobStoreCaps } from './memory-store-caps.js';

export function workerSettings(config: Config, run: ItemRunner): WorkerSettings {
  return {
    run,
    concurrency: config.BATCH_CONCURRENCY,
    modelConcurrency: config.BATCH_MODEL_CONCURRENCY,
    attempts: config.BATCH_ITEM_ATTEMPTS,
    retryDelayMs: config.BATCH_RETRY_DELAY_MS,
  };
}

/** The in-memory store's caps: without Redis every job's requests and results live in this process. */
export function memoryCaps(config: Config): JobStoreCaps {
  return {
    maxItems: config.JOBS_MEMORY_MAX_ITEMS,
    maxItemsPerCaller: config.JOBS_MEMORY_MAX_ITEMS_PER_CALLER,
    maxBytes: config.JOBS_MEMORY_MAX_BYTES,
    maxBytesPerCaller: config.JOBS_MEMORY_MAX_BYTES_PER_CALLER,
  };
}

export function createJobQueue(options: {
  config: Config;
  run: ItemRunner;
  logger: Logger;
  metrics: Metrics;
}): JobQueue {
  const { config, logger, metrics } = options;
  const settings = workerSettings(config, options.run);
  const ttlMs = config.JOB_TTL_SECONDS * 1000;
  if (!config.REDIS_URL)
    return new MemoryJobQueue({ ...settings, ttlMs, caps: memoryCaps(config), logger, metrics });
  return new BullJobQueue({
    url: config.REDIS_URL,
    keyPrefix: config.REDIS_KEY_PREFIX,
    ttlMs,
    timeoutMs: config.JOBS_REDIS_TIMEOUT_MS,
    ...(config.ROUTER_MODE === 'api' ? {} : { worker: { ...settings, lockMs: config.BATCH_LOCK_MS } }),
    logger,
    metrics,
  });
}
