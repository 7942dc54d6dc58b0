/**
 * Batch jobs on Redis: the job's record in RedisJobStore, one BullMQ job per item in one shared queue.
 * Any number of router and worker processes share it; each runs at most `concurrency` items, and at most
 * `modelConcurrency` for one requested model (an item whose model is busy here is put back for a moment,
 * freeing the slot for other models). BullMQ gives the rest: priorities, retries with backoff, and
 * re-delivery of the items of a worker that died (its lock expires after `lockMs`). Items run at least
 * once; results are written once, so a re-run never shows twice.
 * @module
 */
import { once } from 'node:events';
import { DelayedError, type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ThrottledErrorLog } from '../cache/error-log.js';
import { createRedisClient, redisReady, withTimeout } from '../cache/redis-client.js';
import { ApiError, JobStoreUnavailableError } from '../errors.js';
import { ANONYMOUS } from '../http/callers.js';
import type { Metrics } from '../metrics/registry.js';
import type { JobView } from '../schemas/jobs.js';
import { CANCELLED, onItemFailure, type StoredResult, succeeded } from './item-policy.js';
import {
  type JobQueue,
  type PageRequest,
  PRIORITY_RANK,
  type SubmitRequest,
  type Submitted,
  scopedKey,
  type WorkerSettings,
} from './job-queue.js';
import { isTerminal, jobView, listedResult, requestDigest } from './job-view.js';
import { conflict } from './memory-job-queue.js';
import { ModelSlots } from './model-slots.js';
import { type RecordOutcome, RedisJobStore } from './redis-job-store.js';

/** What one BullMQ job carries: the batch job, the item's index, its requested model and the caller. */
interface ItemRef {
  readonly j: string;
  readonly i: number;
  readonly m: string;
  readonly c?: string;
}

export interface BullJobQueueOptions {
  readonly url: string;
  /** Prefix of every key: `<prefix>jobs:…` for the records, `<prefix>bull:batch:…` for BullMQ's. */
  readonly keyPrefix: string;
  readonly ttlMs: number;
  /** Budget of one API call's Redis work (ms); past it the call fails with 503. */
  readonly timeoutMs: number;
  /** Run items in this process (router and worker modes); without it the queue only takes and reads jobs. */
  readonly worker?: WorkerSettings & {
    /** A worker that stops renewing its lock for this long is presumed dead; its items run elsewhere. */
    readonly lockMs: number;
  };
  readonly logger: Logger;
  readonly metrics: Metrics;
}

const QUEUE = 'batch';
const ENQUEUE_CHUNK = 500;
const DEFER_MS = 100;

export class BullJobQueue implements JobQueue {
  readonly #o: BullJobQueueOptions;
  readonly #client: Redis;
  readonly #store: RedisJobStore;
  readonly #queue: Queue;
  readonly #worker?: Worker<ItemRef>;
  readonly #workerClient?: Redis;
  readonly #slots?: ModelSlots;
  readonly #log: ThrottledErrorLog;

  constructor(options: BullJobQueueOptions) {
    this.#o = options;
    this.#log = new ThrottledErrorLog(options.logger, 30_000);
    this.#client = createRedisClient({ url: options.url, connectionName: 'paissive-router-jobs' });
    this.#client.on('error', (err) => this.#fail('connect', err));
    this.#client.on('ready', () => this.#log.recovered({ store: 'jobs' }));
    this.#store = new RedisJobStore(this.#client, {
      keyPrefix: `${options.keyPrefix}jobs:`,
      ttlMs: options.ttlMs,
    });
    const prefix = `${options.keyPrefix}bull`;
    this.#queue = new Queue(QUEUE, { connection: this.#client, prefix });
    this.#queue.on('error', (err) => this.#fail('queue', err));
    options.metrics.queueDepth.read = () =>
      this.#within(() => this.#queue.getJobCounts('wait', 'prioritized', 'active', 'delayed'), 'depth').then(
        (c) => ({
          waiting: (c.wait ?? 0) + (c.prioritized ?? 0),
          active: c.active ?? 0,
          delayed: c.delayed ?? 0,
        }),
      );
    const settings = options.worker;
    if (!settings) return;
    this.#slots = new ModelSlots(Math.min(settings.modelConcurrency, settings.concurrency));
    // BullMQ's blocking connection must wait out a Redis restart rather than fail its commands.
    this.#workerClient = new Redis(options.url, {
      maxRetriesPerRequest: null,
      retryStrategy: (times) =>
        Math.min(50 * 2 ** Math.min(times, 10), 1000) + Math.floor(Math.random() * 50),
      connectionName: 'paissive-router-worker',
    });
    this.#workerClient.on('error', (err) => this.#fail('worker', err));
    this.#worker = new Worker<ItemRef>(QUEUE, (job, token) => this.#process(job, token), {
      connection: this.#workerClient,
      prefix,
      concurrency: settings.concurrency,
      lockDuration: settings.lockMs,
      stalledInterval: Math.max(500, Math.floor(settings.lockMs / 2)),
      // A stalled item is a crashed worker's, not a poison pill (those fail as items): re-deliver it.
      maxStalledCount: 10,
    });
    this.#worker.on('error', (err) => this.#fail('worker', err));
    this.#worker.on('failed', (job, err) => void this.#abandoned(job, err));
  }

  async submit({ items, priority, idempotencyKey, caller }: SubmitRequest): Promise<Submitted> {
    const digest = requestDigest(items, priority);
    const id = `job_${crypto.randomUUID()}`;
    const made = await this.#within(
      () =>
        this.#store.create(
          { id, priority, items, digest, caller: caller ?? ANONYMOUS },
          idempotencyKey ? scopedKey(idempotencyKey, caller) : undefined,
        ),
      'submit',
    );
    const read = await this.#within(() => this.#store.read(made.id, 0, 0), 'submit');
    if (!read) throw new JobStoreUnavailableError('The job vanished while it was being submitted; try again');
    if (!made.created && read.job.digest !== digest) throw conflict(idempotencyKey as string, made.id);
    // A job whose earlier submission failed half way (never accepted) is enqueued again: item ids are
    // deterministic, so BullMQ skips the items already there.
    if (!read.job.accepted) {
      await this.#within(() => this.#enqueue(made.id, { items, priority, caller }), 'submit');
      await this.#within(() => this.#store.accept(made.id), 'submit');
    }
    if (made.created) this.#o.metrics.batchJobsSubmitted.inc({ priority });
    return { job: jobView(read.job, [], { offset: 0, limit: 0 }, this.#o.ttlMs), created: made.created };
  }

  async #enqueue(id: string, { items, priority, caller }: SubmitRequest) {
    const settings = this.#o.worker;
    const opts = {
      priority: PRIORITY_RANK[priority],
      attempts: settings?.attempts ?? 3,
      backoff: { type: 'exponential', delay: settings?.retryDelayMs ?? 500 },
      removeOnComplete: true,
      removeOnFail: true,
    };
    for (let start = 0; start < items.length; start += ENQUEUE_CHUNK) {
      await this.#queue.addBulk(
        items.slice(start, start + ENQUEUE_CHUNK).map((item, k) => ({
          name: 'item',
          data: { j: id, i: start + k, m: item.model_id, ...(caller ? { c: caller } : {}) },
          opts: { ...opts, jobId: `${id}_${start + k}` },
        })),
      );
    }
  }

  async get(id: string, page: PageRequest): Promise<JobView | undefined> {
    const read = await this.#within(() => this.#store.read(id, page.offset, page.limit), 'get');
    if (!read) return undefined;
    const count = Math.min(read.items.length, Math.max(0, read.job.total - page.offset));
    const results = Array.from({ length: count }, (_, k) =>
      listedResult(page.offset + k, read.items[k], read.results[k]),
    );
    return jobView(read.job, results, page, this.#o.ttlMs);
  }

  async cancel(id: string): Promise<JobView | undefined> {
    const outcome = await this.#within(() => this.#store.cancel(id), 'cancel');
    if (outcome === 'gone') return undefined;
    this.#finished(outcome);
    return this.get(id, { offset: 0, limit: 0 });
  }

  async close(): Promise<void> {
    await this.#worker?.close();
    await this.#queue.close().catch(() => undefined);
    this.#client.disconnect();
    this.#workerClient?.disconnect();
  }

  async #process(job: Job<ItemRef>, token: string | undefined): Promise<void> {
    const settings = this.#o.worker as NonNullable<BullJobQueueOptions['worker']>;
    const slots = this.#slots as ModelSlots;
    const { j: id, i: index, m: model, c: caller = ANONYMOUS } = job.data;
    if (!slots.tryAcquire(model)) {
      this.#o.metrics.batchItemsDeferred.inc();
      await job.moveToDelayed(Date.now() + DEFER_MS + Math.floor(Math.random() * DEFER_MS), token);
      throw new DelayedError();
    }
    try {
      const claim = await this.#store.claim(id, index);
      if (claim.kind === 'cancelled')
        this.#counted(CANCELLED, await this.#store.record(id, index, CANCELLED));
      if (claim.kind !== 'run') return;
      let result: StoredResult;
      this.#o.metrics.batchItemsRunning.inc();
      try {
        result = succeeded(await settings.run(claim.item, { requestId: `${id}:${index}`, caller }));
      } catch (err) {
        const failure = onItemFailure(err, job.attemptsMade + 1, settings, {
          logger: this.#o.logger,
          job: id,
          index,
        });
        // A limit's refusal waits in the delayed set: moving it there does not use one of its attempts.
        if (failure.retry && failure.deferred) {
          this.#o.metrics.batchItemsDeferred.inc();
          await job.moveToDelayed(Date.now() + failure.delayMs, token);
          throw new DelayedError();
        }
        if (failure.retry) {
          this.#o.metrics.batchItemRetries.inc();
          throw err instanceof Error ? err : new Error(String(err));
        }
        result = failure.result;
      } finally {
        this.#o.metrics.batchItemsRunning.dec();
      }
      this.#counted(result, await this.#store.record(id, index, result));
    } finally {
      slots.release(model);
    }
  }

  /**
   * BullMQ gave up on an item (it stalled more often than allowed, or a last try failed to record): give
   * it a per-item error so its job still finishes. A result already there wins (written once).
   */
  async #abandoned(job: Job<ItemRef> | undefined, err: Error): Promise<void> {
    if (!job || err instanceof DelayedError) return;
    if (job.attemptsMade < (job.opts.attempts ?? 1) && !/stalled/i.test(err.message)) return;
    const result: StoredResult = {
      status: 'failed',
      error: { code: 'item_abandoned', message: `The item could not be run: ${err.message}` },
    };
    try {
      this.#counted(result, await this.#store.record(job.data.j, job.data.i, result));
    } catch (recordErr) {
      this.#fail('record', recordErr);
    }
  }

  #counted(result: StoredResult, outcome: RecordOutcome): void {
    if (outcome === 'duplicate' || outcome === 'gone') return;
    this.#o.metrics.batchItems.inc({ outcome: result.status });
    this.#finished(outcome);
  }

  #finished(outcome: RecordOutcome): void {
    if (outcome !== 'recorded' && outcome !== 'duplicate' && outcome !== 'gone' && isTerminal(outcome))
      this.#o.metrics.batchJobsFinished.inc({ state: outcome });
  }

  #fail(operation: string, err: unknown): void {
    this.#log.error(operation, err instanceof Error ? err : new Error(String(err)), { store: 'jobs' });
  }

  /**
   * An API call's Redis work: fails fast (503) while Redis is away, and within the budget otherwise. Right
   * after start-up it waits (within the budget) for the first connection.
   */
  async #within<T>(work: () => Promise<T>, operation: string): Promise<T> {
    try {
      if (!redisReady(this.#client)) {
        if (!['wait', 'connecting', 'connect'].includes(this.#client.status)) throw unavailable(operation);
        await withTimeout(once(this.#client, 'ready'), this.#o.timeoutMs, `jobs ${operation}`);
      }
      return await withTimeout(work(), this.#o.timeoutMs, `jobs ${operation}`);
    } catch (err) {
      if (err instanceof ApiError) throw err;
      this.#fail(operation, err);
      throw unavailable(operation, err);
    }
  }
}

function unavailable(operation: string, cause?: unknown): JobStoreUnavailableError {
  return new JobStoreUnavailableError(
    `The job store (Redis) is unavailable; the ${operation} did not happen. Retry shortly.`,
    { operation },
    { cause },
  );
}
