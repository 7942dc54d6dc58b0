/**
 * Log lines for store failures, at most one per kind per interval: a dead Redis fails every request and every
 * reconnect attempt, and one line per failure would drown the logs the operator needs. The count of what was
 * left out rides on the next line; the metric (via the observer) still counts every failure.
 * @module
 */
import type { Logger } from 'pino';

export class ThrottledErrorLog {
  readonly #logger: Logger | undefined;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #kinds = new Map<string, { loggedAt: number; suppressed: number }>();
  #failing = false;

  constructor(logger: Logger | undefined, intervalMs: number, now: () => number = Date.now) {
    this.#logger = logger;
    this.#intervalMs = intervalMs;
    this.#now = now;
  }

  /** A failure of `kind` (get, set, connect, flush...). */
  error(kind: string, error: Error, fields: Record<string, unknown> = {}): void {
    this.#failing = true;
    const now = this.#now();
    const state = this.#kinds.get(kind);
    if (state && now - state.loggedAt < this.#intervalMs) {
      state.suppressed++;
      return;
    }
    this.#logger?.warn(
      { ...fields, operation: kind, err: error, suppressed: state?.suppressed ?? 0 },
      `Redis ${kind} failed; continuing without it`,
    );
    this.#kinds.set(kind, { loggedAt: now, suppressed: 0 });
  }

  /** The store answers again: one line, and the next failure is logged at once. */
  recovered(fields: Record<string, unknown> = {}): void {
    if (!this.#failing) return;
    this.#failing = false;
    this.#kinds.clear();
    this.#logger?.info(fields, 'Redis is reachable again');
  }
}
