/**
 * Dynamic batching for encoder tasks: rows (texts) of concurrent requests are queued and run together, at most
 * `maxBatchSize` rows per onnxruntime run, after the oldest row waited at most `maxBatchWaitMs`. One batch runs
 * at a time per model (a run occupies the main thread anyway), and the rows that arrive meanwhile form the
 * next one, so under load batches fill up by themselves and a lone request waits only `maxBatchWaitMs`.
 *
 * Rows of different lengths are padded to the longest in their run; with `lengthOf`, a batch runs as runs of
 * similar lengths when that computes less (see {@link planRuns}).
 *
 * The queue is bounded: a request that would take it past `maxQueueSize` rows is refused at once with
 * QueueFullError (RESOURCE_EXHAUSTED), which a router can send elsewhere, instead of waiting without limit; one
 * that could never fit, having more rows than `maxQueueSize` on its own, with RequestTooLargeError
 * (INVALID_ARGUMENT), since asking again would not help.
 * @module
 */
import type { BatchingConfig } from '../config.js';
import { QueueFullError, RequestCancelledError, RequestTooLargeError } from '../errors.js';
import { halves, planRuns, RunCosts } from './batch.js';

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
  /** A request (for the decoder, a sequence) left the queue for its first batch after waiting this long. */
  queueWait?(seconds: number): void;
  /** A sequence finished: its time per token after the first (only with two tokens or more). */
  timePerOutputToken?(seconds: number): void;
}

/** How often a batch is split in two by length whatever it costs, to keep learning what a run costs. */
export const EXPLORE_EVERY = 16;

/** A row taken from the queue for a batch: its request, and its index there. */
interface Taken<In, Out> {
  readonly pending: Pending<In, Out>;
  readonly index: number;
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

/**
 * Throws QueueFullError when `rows` more would not fit now, RequestTooLargeError when they never would (more
 * than the whole queue); shared by the encoder batcher and the decoder.
 * @param what names the rows in RequestTooLargeError's message (e.g. "8 prompts x n 8 = 64 sequences").
 */
export function checkQueueRoom(
  waiting: number,
  rows: number,
  limits: BatchingConfig,
  hooks: BatchHooks,
  what?: () => string,
): void {
  if (rows > limits.maxQueueSize) throw new RequestTooLargeError(rows, limits.maxQueueSize, what?.());
  if (waiting + rows > limits.maxQueueSize) {
    hooks.rejected?.();
    throw new QueueFullError(waiting, limits.maxQueueSize, rows);
  }
}

export class RowBatcher<In, Out> {
  private readonly queue: Pending<In, Out>[] = [];
  private queuedRows = 0;
  private running = false;
  /** Batches planned by length so far. */
  private planned = 0;
  private timer: NodeJS.Timeout | undefined;

  /**
   * @param lengthOf a row's length in tokens: given, a batch whose rows differ in length runs as several
   *   runs of similar lengths when the padding that saves costs more than the extra runs ({@link planRuns});
   *   each run's rows are answered as soon as it ends.
   * @param costs what a run costs beyond its tokens, learnt from the runs (with `lengthOf` only).
   */
  constructor(
    private readonly run: (rows: In[]) => Promise<Out[]>,
    private readonly limits: BatchingConfig,
    private readonly hooks: BatchHooks = {},
    private readonly lengthOf?: (row: In) => number,
    private readonly costs = new RunCosts(),
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
      signal?.addEventListener('abort', () => this.fail(pending, new RequestCancelledError()), {
        once: true,
      });
      this.queue.push(pending);
      this.setDepth(this.queuedRows + rows.length);
      this.schedule();
    });
  }

  /** Without batching and with nothing waiting, one row runs at once: no queue bookkeeping on the hot path. */
  private async runAlone(rows: readonly In[]): Promise<Out[]> {
    this.running = true;
    this.hooks.queueWait?.(0);
    this.hooks.batch?.(1);
    try {
      return await this.run([...rows]);
    } finally {
      this.running = false;
      this.schedule();
    }
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
    const taken = this.take();
    const rows = taken.map((t) => t.pending.rows[t.index] as In);
    const lengthOf = this.lengthOf;
    const lengths = lengthOf ? rows.map((row) => lengthOf(row)) : [];
    const runs = lengthOf ? this.plan(lengths) : [rows.map((_, i) => i)];
    let ran = 0;
    try {
      for (const run of runs) {
        if (run.length === 0) continue;
        const started = performance.now();
        this.hooks.batch?.(run.length);
        const outputs = await this.run(run.map((i) => rows[i] as In));
        if (lengthOf) {
          const longest = Math.max(...run.map((i) => lengths[i] as number));
          this.costs.observe(run.length * longest, performance.now() - started);
        }
        for (const [i, row] of run.entries()) this.deliver(taken[row] as Taken<In, Out>, outputs[i] as Out);
        ran++;
      }
    } catch (error) {
      for (const row of runs.slice(ran).flat()) this.fail((taken[row] as Taken<In, Out>).pending, error);
    } finally {
      this.running = false;
      this.schedule();
    }
  }

  /**
   * The runs of a batch. Runs all of one size teach {@link RunCosts} nothing, and a batch that is never split has
   * runs all of one size; so a batch that does not know the cost yet, and one in {@link EXPLORE_EVERY} after,
   * runs as two runs of different sizes, shorter rows and longer ones ({@link halves}).
   */
  private plan(lengths: readonly number[]): number[][] {
    const known = this.costs.perRun;
    const explore = !Number.isFinite(known) || ++this.planned % EXPLORE_EVERY === 0;
    return explore ? halves(lengths) : planRuns(lengths, known);
  }

  /** Takes up to a batch of rows off the queue, oldest requests first. */
  private take(): Taken<In, Out>[] {
    const taken: Taken<In, Out>[] = [];
    const now = Date.now();
    while (taken.length < this.limits.maxBatchSize && this.queue.length > 0) {
      const pending = this.queue[0] as Pending<In, Out>;
      if (pending.next === 0) this.hooks.queueWait?.((now - pending.enqueuedAt) / 1000);
      taken.push({ pending, index: pending.next++ });
      if (pending.next === pending.rows.length) this.queue.shift();
    }
    this.setDepth(this.queuedRows - taken.length);
    return taken;
  }

  private deliver({ pending, index }: Taken<In, Out>, output: Out): void {
    pending.results[index] = output;
    pending.remaining--;
    if (pending.remaining === 0 && !pending.done) {
      pending.done = true;
      pending.resolve(pending.results);
    }
  }

  /** Rejects a request (failed or cancelled); its rows still queued must not run for nobody. */
  private fail(pending: Pending<In, Out>, error: unknown): void {
    if (pending.done) return;
    pending.done = true;
    const index = this.queue.indexOf(pending);
    if (index >= 0) {
      this.queue.splice(index, 1);
      this.setDepth(this.queuedRows - (pending.rows.length - pending.next));
    }
    pending.reject(error);
  }

  private setDepth(rows: number): void {
    this.queuedRows = rows;
    this.hooks.queueDepth?.(rows);
  }
}
