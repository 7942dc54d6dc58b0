/**
 * What happens to an item that failed: deferred when its caller's request limit or budget has no room for it
 * yet (it runs after Retry-After, and the wait does not use one of its tries: a 1,000-item batch waits for
 * the budget instead of failing through it); retried (later, with a doubling delay) while the failure is one
 * a retry can fix and tries remain; otherwise recorded as the item's error in the one error shape. An item
 * always ends with a result: it never keeps a job from finishing.
 * @module
 */
import type { Logger } from 'pino';
import { BudgetExceededError, RateLimitedError, toApiError } from '../errors.js';
import type { ItemResult } from '../schemas/jobs.js';

export type StoredResult = Omit<ItemResult, 'index' | 'custom_id'>;

export type Failure =
  /** `deferred`: a limit refused it for now; the next run is the same attempt. */
  | { readonly retry: true; readonly delayMs: number; readonly deferred?: true }
  | { readonly retry: false; readonly result: StoredResult };

/** `attempt` counts from 1. */
export function onItemFailure(
  err: unknown,
  attempt: number,
  policy: { attempts: number; retryDelayMs: number },
  log?: { logger: Logger; job: string; index: number },
  random: () => number = Math.random,
): Failure {
  const waitMs = limitWaitMs(err);
  // Spread over a moment, so the items refused together do not all come back at the same instant.
  if (waitMs !== undefined)
    return { retry: true, delayMs: waitMs + Math.floor(random() * 250), deferred: true };
  const apiError = toApiError(err);
  if (apiError.retryable && attempt < policy.attempts) {
    return { retry: true, delayMs: policy.retryDelayMs * 2 ** (attempt - 1) };
  }
  if (apiError.status >= 500 && apiError.code === 'internal_error')
    log?.logger.error({ err, job: log.job, index: log.index }, 'Batch item failed unexpectedly');
  return { retry: false, result: { status: 'failed', error: apiError.toBody().error } };
}

/**
 * A deferred item looks again at least this often: a spend limit's Retry-After can be weeks (past what a
 * timer holds), and a budget raised meanwhile should be used.
 */
export const MAX_DEFER_MS = 300_000;

/** How long a limit's refusal asks to wait; undefined for any other failure (or a request too large to ever fit). */
function limitWaitMs(err: unknown): number | undefined {
  if (!(err instanceof RateLimitedError || err instanceof BudgetExceededError)) return undefined;
  if (err.retryAfterSeconds === undefined) return undefined;
  return Math.min(MAX_DEFER_MS, err.retryAfterSeconds * 1000);
}

export const succeeded = (response: Record<string, unknown>): StoredResult => ({
  status: 'succeeded',
  response,
});

export const CANCELLED: StoredResult = { status: 'cancelled' };
