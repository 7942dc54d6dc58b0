/**
 * Dynamic batching for encoder tasks: rows (texts) of concurrent requests are queued and run together, at most
 * `maxBatchSize` rows per onnxruntime run, after the oldest row waited at most `maxBatchWaitMs`. One batch runs
 * at a time per model (a run occupies the main thread anyway), and the rows that arrive meanwhile form the
 * next one, so under load batches fill up by themselves and a lone request waits only `maxBatchWaitMs`.
 *
 * The queue is bounded: a request that would take it past `maxQueueSize` rows is refused at once with
 * QueueFullError (RESOURCE_EXHAUSTED), which a router can send elsewhere, instead of waiting without limit.
 * @module
 */
import type { BatchingConfig } from '../config.js';
import { QueueFullError, RequestCancelledError } from '../errors.js';

/** What the engine reports while it batches; the server wires these to metrics. */
export interface BatchHooks {
  /** Rows waiting now. */
  queueDepth?(rows: number): void;
  /** One onnxruntime run of `rows` rows. */
  batch?(rows: number): void;
  /** A request refused because the queue was full. */
  rejected?(): void;
  /** Generations decoding now. */
  active?(sequences: number): void;
  /** A generation produced its first token. */
  firstToken?(seconds: number): void;
}

interface Pending<In, Out> {
  readonly rows: readonly In[];
  readonly results: Out[];
  /** Index of the next row not yet handed to a batch. */
  next: number;
  /** Rows whose result has not come back. */
  remaining: number;
  done: boolean;
  readonly enqueuedAt: number;
  resolve(results: Out[]): void;
  reject(error: unknown): void;
}

/** Throws QueueFullError when `rows` more would not fit; shared by the encoder batcher and the decoder. */
export function checkQueueRoom(
  waiting: number,
  rows: number,
  limits: BatchingConfig,
  hooks: BatchHooks,
): void {
  if (waiting + rows > limits.maxQueueSize) {
    hooks.rejected?.();
    throw new QueueFullError(waiting, limits.maxQueueSize, rows);
  }
}

export class RowBatcher<In, Out> {
  private readonly queue: Pending<In, Out>[] = [];
  private queuedRows = 0;
  private running = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly run: (rows: In[]) => Promise<Out[]>,
    private readonly limits: BatchingConfig,
    private readonly hooks: BatchHooks = {},
  ) {}

  /** Rows waiting for a batch. */
  get depth(): number {
    return this.queuedRows;
  }

  /**
   * Queues `rows` and resolves with their results, in order.
   * @throws {QueueFullError} when the queue cannot take them.
   * @throws {RequestCancelledError} when `signal` aborts first.
   */
  submit(rows: readonly In[], signal?: AbortSignal): Promise<Out[]> {
    if (signal?.aborted) return Promise.reject(new RequestCancelledError());
    if (this.limits.maxBatchSize === 1 && rows.length === 1 && !this.running && this.queuedRows === 0) {
      return this.runAlone(rows);
    }
    checkQueueRoom(this.queuedRows, rows.length, this.limits, this.hooks);
    return new Promise<Out[]>((resolve, reject) => {
      const pending: Pending<In, Out> = {
        rows,
        results: new Array<Out>(rows.length),
        next: 0,
        remaining: rows.length,
        done: false,
        enqueuedAt: Date.now(),
        resolve,
        reject,
      };
      signal?.addEventListener('abort', () => this.cancel(pending), { once: true });
      this.queue.push(pending);
      this.setDepth(this.queuedRows + rows.length);
      this.schedule();
    });
  }

  /** Without batching and with nothing waiting, one row runs at once: no queue bookkeeping on the hot path. */
  private async runAlone(rows: readonly In[]): Promise<Out[]> {
    this.running = true;
    this.hooks.batch?.(1);
    try {
      return await this.run([...rows]);
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  private cancel(pending: Pending<In, Out>): void {
    if (pending.done) return;
    pending.done = true;
    const index = this.queue.indexOf(pending);
    if (index >= 0) {
      this.queue.splice(index, 1);
      this.setDepth(this.queuedRows - (pending.rows.length - pending.next));
    }
    pending.reject(new RequestCancelledError());
  }

  private schedule(): void {
    if (this.running || this.queuedRows === 0) return;
    const oldest = this.queue[0] as Pending<In, Out>;
    const wait = oldest.enqueuedAt + this.limits.maxBatchWaitMs - Date.now();
    if (this.queuedRows >= this.limits.maxBatchSize || wait <= 0) {
      clearTimeout(this.timer);
      this.timer = undefined;
      this.running = true;
      // setImmediate: requests that arrive in the same I/O phase still make it into this batch. Without
      // batching there is nobody to wait for, and an extra turn of the event loop per request would show.
      if (this.limits.maxBatchSize === 1) void this.runBatch();
      else setImmediate(() => void this.runBatch());
    } else {
      this.timer ??= setTimeout(() => {
        this.timer = undefined;
        this.schedule();
      }, wait);
    }
  }

  private async runBatch(): Promise<void> {
    const taken: { pending: Pending<In, Out>; index: number }[] = [];
    while (taken.length < this.limits.maxBatchSize && this.queue.length > 0) {
      const pending = this.queue[0] as Pending<In, Out>;
      taken.push({ pending, index: pending.next++ });
      if (pending.next === pending.rows.length) this.queue.shift();
    }
    this.setDepth(this.queuedRows - taken.length);
    if (taken.length > 0) this.hooks.batch?.(taken.length);
    try {
      const outputs = taken.length > 0 ? await this.run(taken.map((t) => t.pending.rows[t.index] as In)) : [];
      taken.forEach(({ pending, index }, i) => {
        pending.results[index] = outputs[i] as Out;
        pending.remaining--;
        if (pending.remaining === 0 && !pending.done) {
          pending.done = true;
          pending.resolve(pending.results);
        }
      });
    } catch (error) {
      for (const { pending } of taken) {
        if (pending.done) continue;
        pending.done = true;
        // Its rows still queued must not run for a request that already failed.
        const index = this.queue.indexOf(pending);
        if (index >= 0) {
          this.queue.splice(index, 1);
          this.setDepth(this.queuedRows - (pending.rows.length - pending.next));
        }
        pending.reject(error);
      }
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  private setDepth(rows: number): void {
    this.queuedRows = rows;
    this.hooks.queueDepth?.(rows);
  }
}
