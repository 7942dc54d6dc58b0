/**
 * The in-process job queue of local mode without Redis: jobs live in this process (and die with it),
 * items run with bounded concurrency, critical before standard before background, oldest job first, and
 * never more than the per-model bound at once (an item whose model is busy is skipped, not waited on).
 * Results expire after the TTL. What it holds is capped per caller and in all (memory-store-caps.ts).
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { IdempotencyConflictError } from '../errors.js';
import { ANONYMOUS } from '../http/callers.js';
import type { Metrics } from '../metrics/registry.js';
import type { BatchItem, JobPriority, JobState, JobView } from '../schemas/jobs.js';
import { CANCELLED, onItemFailure, type StoredResult, succeeded } from './item-policy.js';
import {
  type JobQueue,
  type PageRequest,
  type SubmitRequest,
  type Submitted,
  scopedKey,
  type WorkerSettings,
} from './job-queue.js';
import {
  finalState,
  isTerminal,
  type JobSnapshot,
  jobView,
  listedResult,
  pageEnd,
  requestDigest,
} from './job-view.js';
import { type Holding, type JobStoreCaps, JobStoreRoom } from './memory-store-caps.js';
import { ModelSlots } from './model-slots.js';

interface Job extends JobSnapshot {
  state: JobState;
  startedAt?: number;
  completedAt?: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  cancelRequested: boolean;
  readonly items: readonly BatchItem[];
  readonly results: (StoredResult | undefined)[];
  /** Indexes not started yet, per requested model, in order (`head` is the next one). */
  readonly waiting: Map<string, { indexes: number[]; head: number }>;
  readonly digest: string;
  readonly idempotencyKey?: string;
  readonly caller: string;
  readonly charge: Holding;
  /** Items waiting to run again (a retry, or deferred by a limit), by index: cancel stops these too. */
  readonly retrying: Map<number, NodeJS.Timeout>;
}

export interface MemoryJobQueueOptions extends WorkerSettings {
  readonly ttlMs: number;
  readonly caps: JobStoreCaps;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

const PRIORITIES: readonly JobPriority[] = ['critical', 'standard', 'background'];

export class MemoryJobQueue implements JobQueue {
  readonly #o: MemoryJobQueueOptions;
  readonly #jobs = new Map<string, Job>();
  readonly #byKey = new Map<string, string>();
  readonly #room: JobStoreRoom<Job>;
  /** Jobs with items not started, oldest first, per priority. */
  readonly #queued: Record<JobPriority, Job[]> = { critical: [], standard: [], background: [] };
  readonly #slots: ModelSlots;
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #running = new Set<Promise<void>>();
  #closed = false;
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: MemoryJobQueueOptions) {
    this.#o = options;
    this.#slots = new ModelSlots(Math.min(options.modelConcurrency, options.concurrency));
    this.#room = new JobStoreRoom<Job>({
      caps: options.caps,
      ttlMs: options.ttlMs,
      drop: (job) => this.#drop(job),
    });
    this.#sweeper = setInterval(() => this.#room.dropExpired(), Math.min(options.ttlMs, 60_000));
    this.#sweeper.unref();
    options.metrics.queueDepth.read = async () => ({
      waiting: [...this.#jobs.values()].reduce((n, job) => n + waitingCount(job), 0),
      active: this.#slots.inFlight,
    });
  }

  async submit({ items, priority, idempotencyKey, caller }: SubmitRequest): Promise<Submitted> {
    const digest = requestDigest(items, priority);
    const scoped = idempotencyKey ? scopedKey(idempotencyKey, caller) : undefined;
    const existing = scoped ? this.#live(this.#byKey.get(scoped) ?? '') : undefined;
    if (existing) {
      if (existing.digest !== digest) throw conflict(idempotencyKey as string, existing.id);
      return { job: this.#view(existing, { offset: 0, limit: 0 }), created: false };
    }
    const owner = caller ?? ANONYMOUS;
    const charge = this.#room.admit(owner, items);
    const waiting = new Map<string, { indexes: number[]; head: number }>();
    items.forEach((item, index) => {
      const list = waiting.get(item.model_id) ?? { indexes: [], head: 0 };
      list.indexes.push(index);
      waiting.set(item.model_id, list);
    });
    const job: Job = {
      id: `job_${randomUUID()}`,
      priority,
      total: items.length,
      state: 'queued',
      createdAt: Date.now(),
      succeeded: 0,
      failed: 0,
      cancelled: 0,
      cancelRequested: false,
      items,
      results: new Array(items.length),
      waiting,
      digest,
      ...(scoped ? { idempotencyKey: scoped } : {}),
      caller: owner,
      charge,
      retrying: new Map(),
    };
    this.#room.hold(job);
    this.#jobs.set(job.id, job);
    if (scoped) this.#byKey.set(scoped, job.id);
    this.#queued[priority].push(job);
    this.#o.metrics.batchJobsSubmitted.inc({ priority });
    this.#pump();
    return { job: this.#view(job, { offset: 0, limit: 0 }), created: true };
  }

  async get(id: string, page: PageRequest): Promise<JobView | undefined> {
    const job = this.#live(id);
    return job ? this.#view(job, page) : undefined;
  }

  async cancel(id: string): Promise<JobView | undefined> {
    const job = this.#live(id);
    if (!job) return undefined;
    if (!isTerminal(job.state)) {
      job.cancelRequested = true;
      for (const list of job.waiting.values()) {
        for (const index of list.indexes.slice(list.head)) this.#record(job, index, CANCELLED);
        list.head = list.indexes.length;
      }
      // Not running now: a deferred item would otherwise run when its budget allows, after the cancel.
      for (const [index, timer] of job.retrying) {
        clearTimeout(timer);
        this.#timers.delete(timer);
        this.#record(job, index, CANCELLED);
      }
      job.retrying.clear();
      this.#dequeue(job);
      this.#finishIfDone(job);
    }
    return this.#view(job, { offset: 0, limit: 0 });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    for (const timer of this.#timers) clearTimeout(timer);
    await Promise.allSettled([...this.#running]);
  }

  /** Starts items while there are free slots: by priority, oldest job first, skipping busy models. */
  #pump(): void {
    while (!this.#closed && this.#slots.inFlight < this.#o.concurrency) {
      const next = this.#next();
      if (!next) return;
      const running = this.#runItem(next.job, next.index, 1).finally(() => this.#running.delete(running));
      this.#running.add(running);
    }
  }

  #next(): { job: Job; index: number } | undefined {
    for (const priority of PRIORITIES) {
      for (const job of this.#queued[priority]) {
        for (const [model, list] of job.waiting) {
          if (list.head >= list.indexes.length || !this.#slots.tryAcquire(model)) continue;
          const index = list.indexes[list.head++] as number;
          if (waitingCount(job) === 0) this.#dequeue(job);
          return { job, index };
        }
      }
    }
    return undefined;
  }

  async #runItem(job: Job, index: number, attempt: number): Promise<void> {
    const item = job.items[index] as BatchItem;
    if (job.state === 'queued') {
      job.state = 'running';
      job.startedAt = Date.now();
    }
    this.#o.metrics.batchItemsRunning.inc();
    let result: StoredResult | undefined;
    try {
      result = succeeded(await this.#o.run(item, { requestId: `${job.id}:${index}`, caller: job.caller }));
    } catch (err) {
      const failure = onItemFailure(err, attempt, this.#o, { logger: this.#o.logger, job: job.id, index });
      // Cancelled while it ran: what it would retry has not started.
      if (failure.retry && job.cancelRequested) result = CANCELLED;
      else if (failure.retry) {
        (failure.deferred ? this.#o.metrics.batchItemsDeferred : this.#o.metrics.batchItemRetries).inc();
        this.#retryLater(job, index, failure.deferred ? attempt : attempt + 1, failure.delayMs);
      } else result = failure.result;
    } finally {
      this.#o.metrics.batchItemsRunning.dec();
      this.#slots.release(item.model_id);
    }
    if (result) {
      this.#record(job, index, result);
      this.#finishIfDone(job);
    }
    this.#pump();
  }

  /** A retry takes a slot again when its time comes, like any item (and waits more while there is none). */
  #retryLater(job: Job, index: number, attempt: number, delayMs: number): void {
    const model = (job.items[index] as BatchItem).model_id;
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      job.retrying.delete(index);
      if (this.#closed) return;
      if (this.#slots.inFlight >= this.#o.concurrency || !this.#slots.tryAcquire(model)) {
        this.#retryLater(job, index, attempt, 50);
        return;
      }
      const running = this.#runItem(job, index, attempt).finally(() => this.#running.delete(running));
      this.#running.add(running);
    }, delayMs);
    this.#timers.add(timer);
    job.retrying.set(index, timer);
  }

  /** What the store holds: every caller's, or one caller's (items and JSON bytes). */
  held(caller?: string): Holding {
    return this.#room.held(caller);
  }

  #record(job: Job, index: number, given: StoredResult): void {
    if (job.results[index]) return;
    const result = this.#room.keep(job, given);
    job.results[index] = result;
    job[result.status as 'succeeded' | 'failed' | 'cancelled'] += 1;
    this.#o.metrics.batchItems.inc({ outcome: result.status });
  }

  #finishIfDone(job: Job): void {
    if (isTerminal(job.state) || job.succeeded + job.failed + job.cancelled < job.total) return;
    job.state = finalState(job);
    job.completedAt = Date.now();
    this.#room.finished(job);
    this.#o.metrics.batchJobsFinished.inc({ state: job.state });
  }

  #dequeue(job: Job): void {
    const queue = this.#queued[job.priority];
    const at = queue.indexOf(job);
    if (at >= 0) queue.splice(at, 1);
  }

  #view(job: Job, page: PageRequest): JobView {
    const results = [];
    for (let i = page.offset; i < pageEnd(page, job.total); i++)
      results.push(listedResult(i, job.items[i], job.results[i]));
    return jobView(job, results, page, this.#o.ttlMs);
  }

  /** The job unless it expired (the sweeper deletes expired jobs a little later). */
  #live(id: string): Job | undefined {
    const job = this.#jobs.get(id);
    return job && !this.#room.expired(job) ? job : undefined;
  }

  /** Called by the room when a job expires or is evicted to make room. */
  #drop(job: Job): void {
    this.#jobs.delete(job.id);
    if (job.idempotencyKey && this.#byKey.get(job.idempotencyKey) === job.id)
      this.#byKey.delete(job.idempotencyKey);
  }
}

function waitingCount(job: Job): number {
  let n = 0;
  for (const list of job.waiting.values()) n += list.indexes.length - list.head;
  return n;
}

export function conflict(key: string, jobId: string): IdempotencyConflictError {
  return new IdempotencyConflictError(
    `Idempotency key ${key} was used for another batch (job ${jobId}); use a new key for new items`,
    { idempotency_key: key, job_id: jobId },
  );
}
