/**
 * One work queue keyed per object: a key is processed by one worker at a time (events for the same object
 * are serialised), different keys in parallel; a key added while it is being processed runs again after;
 * failures retry with per-key exponential backoff.
 * @module
 */
import type { Logger } from 'pino';

export interface ReconcileResult {
  /** Run this key again after this long even if nothing changes (e.g. to poll an external state). */
  readonly requeueAfterMs?: number;
}

export type Reconciler = (key: string) => Promise<ReconcileResult | undefined>;

export interface WorkQueueOptions {
  readonly name: string;
  readonly workers: number;
  readonly reconcile: Reconciler;
  readonly logger: Logger;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Called after each pass with its outcome (metrics). */
  readonly onResult?: (outcome: 'success' | 'error', seconds: number) => void;
  /**
   * Whether a failure may pass on a later try with nothing changed: those back off and run again; the others
   * wait until the key is added again (the object changed, or a resync). Every failure retries when absent.
   */
  readonly retryable?: (err: unknown) => boolean;
}

export class WorkQueue {
  readonly #o: Required<Omit<WorkQueueOptions, 'onResult'>> & Pick<WorkQueueOptions, 'onResult'>;
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  readonly #timers = new Map<string, { timer: NodeJS.Timeout; due: number }>();
  #running = false;
  #active = 0;
  #idle: (() => void)[] = [];

  constructor(options: WorkQueueOptions) {
    this.#o = { baseDelayMs: 100, maxDelayMs: 300_000, retryable: () => true, ...options };
  }

  get length(): number {
    return this.#queue.length;
  }

  add(key: string): void {
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    this.#queued.add(key);
    this.#queue.push(key);
    this.#pump();
  }

  /** Adds `key` after `ms`; a sooner addAfter wins, a later one is ignored while one is pending. */
  addAfter(key: string, ms: number): void {
    const due = Date.now() + ms;
    const pending = this.#timers.get(key);
    if (pending) {
      if (pending.due <= due) return;
      clearTimeout(pending.timer);
    }
    const timer = setTimeout(() => {
      this.#timers.delete(key);
      this.add(key);
    }, ms);
    timer.unref();
    this.#timers.set(key, { timer, due });
  }

  start(): void {
    this.#running = true;
    this.#pump();
  }

  /** Stops taking keys and waits for the passes in flight. */
  async shutdown(): Promise<void> {
    this.#running = false;
    for (const { timer } of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    if (this.#active > 0) await new Promise<void>((resolve) => this.#idle.push(resolve));
  }

  #pump(): void {
    while (this.#running && this.#active < this.#o.workers && this.#queue.length > 0) {
      const key = this.#queue.shift() as string;
      this.#queued.delete(key);
      this.#processing.add(key);
      this.#active += 1;
      void this.#process(key);
    }
  }

  async #process(key: string): Promise<void> {
    const started = performance.now();
    try {
      const result = await this.#o.reconcile(key);
      this.#failures.delete(key);
      this.#o.onResult?.('success', (performance.now() - started) / 1000);
      if (result?.requeueAfterMs !== undefined) this.addAfter(key, result.requeueAfterMs);
    } catch (err) {
      this.#o.onResult?.('error', (performance.now() - started) / 1000);
      if (!this.#o.retryable(err)) {
        this.#failures.delete(key);
        this.#o.logger.warn(
          { queue: this.#o.name, key, err: (err as Error)?.message },
          'Reconcile failed; not retrying until the object changes',
        );
        return;
      }
      const failures = (this.#failures.get(key) ?? 0) + 1;
      this.#failures.set(key, failures);
      const delay = Math.min(this.#o.baseDelayMs * 2 ** (failures - 1), this.#o.maxDelayMs);
      this.#o.logger.warn(
        { queue: this.#o.name, key, err: (err as Error)?.message, retryInMs: delay },
        'Reconcile failed',
      );
      this.addAfter(key, delay);
    } finally {
      this.#processing.delete(key);
      this.#active -= 1;
      if (this.#dirty.delete(key)) this.add(key);
      if (this.#active === 0) for (const resolve of this.#idle.splice(0)) resolve();
      this.#pump();
    }
  }
}
