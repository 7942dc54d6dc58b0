/**
 * Batch jobs: accepted at once, run in the background through the same routing as live requests, and
 * read back by id. One interface; local mode keeps jobs in memory.
 * @module
 */
import type { BatchItem, JobView } from '../schemas/jobs.js';

export interface PageRequest {
  readonly offset: number;
  readonly limit: number;
}

/** Runs one item and returns its response body; throws an ApiError for a per-item failure. */
export type ItemRunner = (item: BatchItem, ctx: { requestId: string }) => Promise<Record<string, unknown>>;

export interface JobQueue {
  submit(items: readonly BatchItem[]): Promise<JobView>;
  /** Undefined when no such job exists (or it expired). */
  get(id: string, page: PageRequest): Promise<JobView | undefined>;
  /** Cancels the items that have not started; returns the job, undefined when unknown. */
  cancel(id: string): Promise<JobView | undefined>;
  close(): Promise<void>;
}
