/**
 * Batch jobs: accepted at once, run in the background through the same routing as live requests, and
 * read back by id. One interface, two implementations that pass one contract suite: BullMQ on Redis
 * (shared by every replica, durable) and an in-process queue (local mode without Redis).
 * @module
 */

import { ANONYMOUS } from '../http/callers.js';
import type { BatchItem, JobPriority, JobView } from '../schemas/jobs.js';

export interface PageRequest {
  readonly offset: number;
  readonly limit: number;
}

export interface SubmitRequest {
  readonly items: readonly BatchItem[];
  readonly priority: JobPriority;
  /** The same key (within the TTL) answers with the job it first made. */
  readonly idempotencyKey?: string;
  /** Who submitted it (the router API key's name): its items are metered to this caller. */
  readonly caller?: string;
}

export interface Submitted {
  /** The job with an empty page of results. */
  readonly job: JobView;
  /** False when the idempotency key named an existing job. */
  readonly created: boolean;
}

/** Runs one item and returns its response body; throws (an ApiError) for a per-item failure. */
export type ItemRunner = (
  item: BatchItem,
  ctx: { requestId: string; caller: string },
) => Promise<Record<string, unknown>>;

export interface JobQueue {
  /**
   * Throws IdempotencyConflictError when the key names a job made from other items. Keys are per caller:
   * another caller's key of the same name is another key.
   */
  submit(request: SubmitRequest): Promise<Submitted>;
  /** Undefined when no such job exists (or it expired). */
  get(id: string, page: PageRequest): Promise<JobView | undefined>;
  /** Cancels the items that have not started; returns the job, undefined when unknown. */
  cancel(id: string): Promise<JobView | undefined>;
  /** Stops taking items, waits for those running, releases connections. */
  close(): Promise<void>;
}

/** What the queues need to run items: the runner and the bounds of this process's share of the work. */
export interface WorkerSettings {
  readonly run: ItemRunner;
  /** Items in flight in this process. */
  readonly concurrency: number;
  /** Items in flight in this process for one requested model. */
  readonly modelConcurrency: number;
  /** Tries per item for retryable failures (model unavailable, timeouts, upstream errors). */
  readonly attempts: number;
  /** First retry delay; doubles each try. */
  readonly retryDelayMs: number;
}

/** Where an idempotency key is kept: per caller, so callers never see each other's jobs through one. */
export const scopedKey = (key: string, caller: string | undefined): string => `${caller ?? ANONYMOUS}/${key}`;

/** BullMQ priorities: lower runs first. */
export const PRIORITY_RANK: Readonly<Record<JobPriority, number>> = {
  critical: 1,
  standard: 2,
  background: 3,
};
