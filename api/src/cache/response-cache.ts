/**
 * The response cache: answers to requests whose output is fully determined by their input, keyed by a
 * hash of that input. One interface; Redis behind it when REDIS_URL is set (every router replica shares
 * it), an in-memory LRU otherwise. A cache failure never fails a request: lookups report `error` and the
 * caller goes to the model.
 * @module
 */

/** What is stored: the response body as sent to the client, and who produced it. */
export interface CachedResponse {
  /** The JSON body (already serialised), exactly as the first response sent it. */
  readonly body: string;
  readonly model: string;
  readonly version?: string;
  /** Epoch ms when it was stored. */
  readonly storedAt: number;
  /** Token counts of the original call (a hit consumes none, but reports what it saved). */
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export type CacheLookup =
  | { readonly status: 'hit'; readonly value: CachedResponse }
  | { readonly status: 'miss' }
  /** The store did not answer in time or failed; the caller bypasses the cache for this request. */
  | { readonly status: 'error'; readonly error: Error };

export interface ResponseCache {
  readonly kind: 'redis' | 'memory';
  get(key: string): Promise<CacheLookup>;
  /** Best effort: never throws; a failure is counted and logged by the implementation. */
  set(key: string, value: CachedResponse, ttlSeconds: number): Promise<void>;
  /** Whether the store answers now (for /readyz detail and tests). */
  healthy(): boolean;
  close(): Promise<void>;
}

/** Called by implementations on every store failure (the router counts them in router_redis_errors_total). */
export type CacheErrorObserver = (operation: 'get' | 'set' | 'connect', error: Error) => void;
