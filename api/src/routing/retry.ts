/**
 * When to try the same target again, and how long to wait first. Pure (randomness and clock injected).
 * @module
 */
import type { BackendError } from '../backends/backend.js';
import { policyOf } from './failure-policy.js';

export interface RetryPolicy {
  /** Attempts on one target before moving to the next (1 = no retry). */
  readonly attemptsPerTarget: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** Longest Retry-After the router will wait for; longer ones move to the next target at once. */
  readonly maxRetryAfterMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  attemptsPerTarget: 2,
  baseDelayMs: 50,
  maxDelayMs: 1000,
  maxRetryAfterMs: 5000,
};

/**
 * How long to wait before attempt `attempt + 1` on the same target, or undefined to move on: an open
 * circuit, a non-retryable failure, no attempts left, a Retry-After longer than we accept, or a wait that
 * would not leave time before the deadline.
 */
export function retryDelay(
  error: BackendError,
  attempt: number,
  policy: RetryPolicy,
  timeLeftMs: number,
  random: () => number = Math.random,
): number | undefined {
  if (error.circuitOpen || !policyOf(error.kind).retrySameTarget || attempt >= policy.attemptsPerTarget)
    return undefined;
  let delay: number;
  if (error.retryAfterMs !== undefined) {
    if (error.retryAfterMs > policy.maxRetryAfterMs) return undefined;
    delay = error.retryAfterMs;
  } else {
    // Full jitter: spreads retries of many clients instead of synchronising them.
    delay = Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1)));
  }
  return delay < timeLeftMs ? delay : undefined;
}
