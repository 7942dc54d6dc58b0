/**
 * What both queues keep about a job, and the one way it is shown: counts, progress, timings and a page of
 * results in request order.
 * @module
 */
import { createHash } from 'node:crypto';
import type { BatchItem, ItemResult, JobPriority, JobState, JobView } from '../schemas/jobs.js';
import type { PageRequest } from './job-queue.js';

export interface JobSnapshot {
  readonly id: string;
  readonly priority: JobPriority;
  readonly total: number;
  readonly state: JobState;
  readonly createdAt: number;
  readonly startedAt?: number;
  readonly completedAt?: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly cancelled: number;
  readonly cancelRequested: boolean;
  /** Who submitted it (the router API key's name, or `anonymous`); only that caller may read or cancel it. */
  readonly caller: string;
}

/** A finished job's state: cancelled if anything was, failed if everything failed, else completed. */
export function finalState(s: Pick<JobSnapshot, 'total' | 'failed' | 'cancelled' | 'cancelRequested'>) {
  if (s.cancelled > 0 || s.cancelRequested) return 'cancelled' as const;
  return s.failed === s.total ? ('failed' as const) : ('completed' as const);
}

export const isTerminal = (state: JobState): boolean =>
  state === 'completed' || state === 'failed' || state === 'cancelled';

/** The page's bounds within a job of `total` items. */
export function pageEnd(page: PageRequest, total: number): number {
  return Math.min(page.offset + page.limit, total);
}

/** `results` are the items of the page, in order, starting at `page.offset`. */
export function jobView(
  s: JobSnapshot,
  results: readonly ItemResult[],
  page: PageRequest,
  ttlMs: number,
): JobView {
  const done = s.succeeded + s.failed + s.cancelled;
  const end = pageEnd(page, s.total);
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    job_id: s.id,
    status: s.state,
    priority: s.priority,
    caller: s.caller,
    created_at: iso(s.createdAt),
    ...(s.startedAt ? { started_at: iso(s.startedAt) } : {}),
    ...(s.completedAt ? { completed_at: iso(s.completedAt), expires_at: iso(s.completedAt + ttlMs) } : {}),
    ...(s.cancelRequested && !isTerminal(s.state) ? { cancel_requested: true } : {}),
    progress: {
      total: s.total,
      completed: done,
      succeeded: s.succeeded,
      failed: s.failed,
      cancelled: s.cancelled,
      percent: s.total ? Math.round((done / s.total) * 1000) / 10 : 100,
    },
    results: [...results],
    page: {
      offset: page.offset,
      limit: page.limit,
      total: s.total,
      // A page of no results (limit 0: the job alone, as cancel answers) points nowhere.
      ...(end < s.total && page.limit > 0 ? { next_offset: end } : {}),
    },
  };
}

/** What an idempotency key is bound to: the items and priority, so a reuse with other items is refused. */
export function requestDigest(items: readonly BatchItem[], priority: JobPriority): string {
  const hash = createHash('sha256').update(priority);
  for (const item of items) hash.update('\n').update(JSON.stringify(item));
  return hash.digest('base64url');
}

/** One item's result as listed: its index, its custom id, and what happened. */
export function listedResult(
  index: number,
  item: Pick<BatchItem, 'custom_id'> | undefined,
  stored: Omit<ItemResult, 'index' | 'custom_id'> | undefined,
): ItemResult {
  return {
    index,
    ...(item?.custom_id ? { custom_id: item.custom_id } : {}),
    ...(stored ?? { status: 'pending' as const }),
  };
}
