/**
 * How the in-memory job store (local mode without Redis) refuses work it has no room for: it holds every
 * job's request and results until they expire, so it counts them and says no rather than grow without bound.
 * @module
 */
import { ApiError } from '../errors.js';

/** The caller's share, or the whole store, is full for now; Retry-After says when room can appear. */
export class JobStoreFullError extends ApiError {
  readonly status = 429;
  readonly code = 'job_store_full';
  override readonly retryable = true;
  override readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number, details?: unknown) {
    super(message, details);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/** One job larger than a cap of the store allows even when it is empty: retrying cannot help, split it. */
export class JobTooLargeError extends ApiError {
  readonly status = 413;
  readonly code = 'job_too_large';
}
