/**
 * How metering's failures read to a client. Recording usage never fails a request (it stays pending and is
 * retried); reading it does, when the store cannot be reached: the reports cannot be computed.
 * @module
 */
import { ApiError } from '../errors.js';

/** The usage store (Redis) cannot be reached: no report can be read now; try again shortly. */
export class UsageStoreUnavailableError extends ApiError {
  readonly status = 503;
  readonly code = 'usage_store_unavailable';
  override readonly retryable = true;
  override readonly retryAfterSeconds = 1;
}
