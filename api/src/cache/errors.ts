/**
 * Failures of the shared stores behind the router (response cache, usage counters). None of them reaches a
 * client: the cache is bypassed and usage stays pending. They exist so that observers, logs and metrics can
 * tell a slow Redis from a down one from a corrupt entry by `code` rather than by message text.
 * @module
 */

export abstract class StoreError extends Error {
  abstract readonly code: string;
  /** Whether the same operation may succeed later (a down or slow Redis comes back; a corrupt entry does not). */
  readonly retryable: boolean = true;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Redis did not answer within the budget; the command may still run on the server later. */
export class StoreTimeoutError extends StoreError {
  readonly code = 'store_timeout';
  constructor(operation: string, ms: number) {
    super(`Redis ${operation} did not answer within ${ms} ms`);
  }
}

/** Redis refused or dropped the command (connection down, reconnecting, or an error reply). */
export class StoreUnavailableError extends StoreError {
  readonly code = 'store_unavailable';
  constructor(operation: string, cause: unknown) {
    super(`Redis ${operation} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** A stored value is not what this version writes (another writer, or a format change): treated as absent. */
export class CacheEntryInvalidError extends StoreError {
  readonly code = 'cache_entry_invalid';
  override readonly retryable = false;
}

/** Too much is waiting for a down Redis: the newest records are dropped (and counted) to bound memory. */
export class StoreBacklogFullError extends StoreError {
  readonly code = 'store_backlog_full';
  override readonly retryable = false;
}

/** Wraps anything thrown by a store call into one of the typed errors above. */
export function storeError(operation: string, err: unknown): StoreError {
  return err instanceof StoreError ? err : new StoreUnavailableError(operation, err);
}
