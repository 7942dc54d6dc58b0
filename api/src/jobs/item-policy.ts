/**
 * What happens to an item that failed: retried (later, with a doubling delay) while the failure is one a
 * retry can fix and tries remain; otherwise recorded as the item's error in the one error shape. An item
 * always ends with a result: it never keeps a job from finishing.
 * @module
 */
import type { Logger } from 'pino';
import { toApiError } from '../errors.js';
import type { ItemResult } from '../schemas/jobs.js';

export type StoredResult = Omit<ItemResult, 'index' | 'custom_id'>;

export type Failure =
  | { readonly retry: true; readonly delayMs: number }
  | { readonly retry: false; readonly result: StoredResult };

/** `attempt` counts from 1. */
export function onItemFailure(
  err: unknown,
  attempt: number,
  policy: { attempts: number; retryDelayMs: number },
  log?: { logger: Logger; job: string; index: number },
): Failure {
  const apiError = toApiError(err);
  if (apiError.retryable && attempt < policy.attempts) {
    return { retry: true, delayMs: policy.retryDelayMs * 2 ** (attempt - 1) };
  }
  if (apiError.status >= 500 && apiError.code === 'internal_error')
    log?.logger.error({ err, job: log.job, index: log.index }, 'Batch item failed unexpectedly');
  return { retry: false, result: { status: 'failed', error: apiError.toBody().error } };
}

export const succeeded = (response: Record<string, unknown>): StoredResult => ({
  status: 'succeeded',
  response,
});

export const CANCELLED: StoredResult = { status: 'cancelled' };
