/**
 * The in-process job queue of local mode: jobs live in memory, items run with bounded concurrency in
 * submission order, results expire after a TTL.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { toApiError } from '../errors.js';
import type { Metrics } from '../metrics/registry.js';
import type { BatchItem, ItemResult, JobState, JobView } from '../schemas/jobs.js';
import type { ItemRunner, JobQueue, PageRequest } from './job-queue.js';

interface Job {
  id: string;
  items: readonly BatchItem[];
  results: ItemResult[];
  state: JobState;
  createdAt: Date;
  startedAt?: Date;
  completedAt?: Date;
  next: number;
  running: number;
}

export interface MemoryJobQueueOptions {
  readonly run: ItemRunner;
  readonly concurrency: number;
  readonly ttlMs: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

export class MemoryJobQueue implements JobQueue {
  readonly #o: MemoryJobQueueOptions;
  readonly #jobs = new Map<string, Job>();
  /** Jobs with items not yet started, oldest first. */
  readonly #pending: Job[] = [];
  #active = 0;
  #closed = false;
  readonly #sweeper: NodeJS.Timeout;

  constructor(options: MemoryJobQueueOptions) {
    this.#o = options;
    this.#sweeper = setInterval(() => this.#sweep(), Math.min(options.ttlMs, 60_000));
    this.#sweeper.unref();
  }

  submit(items: readonly BatchItem[]): Promise<JobView> {
    const job: Job = {
      id: `job_${randomUUID()}`,
      items,
      results: items.map((item, index) => ({
        index,
        status: 'pending',
        ...(item.custom_id ? { custom_id: item.custom_id } : {}),
      })),
      state: 'queued',
      createdAt: new Date(),
      next: 0,
      running: 0,
    };
    this.#jobs.set(job.id, job);
    this.#pending.push(job);
    this.#updateGauge();
    this.#pump();
    return Promise.resolve(this.#view(job, { offset: 0, limit: 0 }));
  }

  get(id: string, page: PageRequest): Promise<JobView | undefined> {
    const job = this.#jobs.get(id);
    return Promise.resolve(job ? this.#view(job, page) : undefined);
  }

  cancel(id: string): Promise<JobView | undefined> {
    const job = this.#jobs.get(id);
    if (!job) return Promise.resolve(undefined);
    if (job.state === 'queued' || job.state === 'running') {
      for (let i = job.next; i < job.items.length; i++) {
        const result = job.results[i];
        if (result) result.status = 'cancelled';
      }
      job.next = job.items.length;
      this.#finishIfDone(job, true);
    }
    return Promise.resolve(this.#view(job, { offset: 0, limit: 0 }));
  }

  close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#sweeper);
    return Promise.resolve();
  }

  #pump(): void {
    while (!this.#closed && this.#active < this.#o.concurrency) {
      const job = this.#pending[0];
      if (!job) return;
      const index = job.next++;
      if (job.next >= job.items.length) this.#pending.shift();
      const item = job.items[index];
      if (!item) continue;
      job.state = 'running';
      job.startedAt ??= new Date();
      job.running += 1;
      this.#active += 1;
      void this.#runItem(job, index, item);
    }
  }

  async #runItem(job: Job, index: number, item: BatchItem): Promise<void> {
    const result = job.results[index] as ItemResult;
    try {
      result.response = await this.#o.run(item, { requestId: `${job.id}:${index}` });
      result.status = 'succeeded';
      this.#o.metrics.batchItems.inc({ outcome: 'succeeded' });
    } catch (err) {
      const apiError = toApiError(err);
      if (apiError.status >= 500 && apiError.code === 'internal_error') {
        this.#o.logger.error({ err, job: job.id, index }, 'Batch item failed unexpectedly');
      }
      result.status = 'failed';
      result.error = apiError.toBody().error;
      this.#o.metrics.batchItems.inc({ outcome: 'failed' });
    } finally {
      job.running -= 1;
      this.#active -= 1;
      this.#finishIfDone(job, false);
      this.#pump();
    }
  }

  #finishIfDone(job: Job, cancelled: boolean): void {
    if (job.running > 0 || job.next < job.items.length) return;
    if (job.state === 'completed' || job.state === 'failed' || job.state === 'cancelled') return;
    const index = this.#pending.indexOf(job);
    if (index >= 0) this.#pending.splice(index, 1);
    const anyCancelled = cancelled || job.results.some((r) => r.status === 'cancelled');
    const allFailed = job.results.every((r) => r.status === 'failed');
    job.state = anyCancelled ? 'cancelled' : allFailed ? 'failed' : 'completed';
    job.completedAt = new Date();
    this.#updateGauge();
  }

  #view(job: Job, page: PageRequest): JobView {
    const count = (status: ItemResult['status']): number =>
      job.results.filter((r) => r.status === status).length;
    const succeeded = count('succeeded');
    const failed = count('failed');
    const cancelled = count('cancelled');
    const total = job.items.length;
    const done = succeeded + failed + cancelled;
    const end = Math.min(page.offset + page.limit, total);
    return {
      job_id: job.id,
      status: job.state,
      created_at: job.createdAt.toISOString(),
      ...(job.startedAt ? { started_at: job.startedAt.toISOString() } : {}),
      ...(job.completedAt
        ? {
            completed_at: job.completedAt.toISOString(),
            expires_at: new Date(job.completedAt.getTime() + this.#o.ttlMs).toISOString(),
          }
        : {}),
      progress: {
        total,
        completed: done,
        succeeded,
        failed,
        cancelled,
        percent: total ? Math.round((done / total) * 1000) / 10 : 100,
      },
      results: job.results.slice(page.offset, end),
      page: { offset: page.offset, limit: page.limit, total, ...(end < total ? { next_offset: end } : {}) },
    };
  }

  #sweep(): void {
    const now = Date.now();
    for (const [id, job] of this.#jobs) {
      if (job.completedAt && now - job.completedAt.getTime() > this.#o.ttlMs) this.#jobs.delete(id);
    }
    this.#updateGauge();
  }

  #updateGauge(): void {
    const counts: Record<JobState, number> = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
    for (const job of this.#jobs.values()) counts[job.state] += 1;
    for (const [state, n] of Object.entries(counts)) this.#o.metrics.batchJobs.set({ state }, n);
  }
}
