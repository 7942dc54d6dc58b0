/**
 * The response cache on Redis, shared by every router replica. Each entry is one string value (the
 * CachedResponse as JSON) under `<prefix><key>`, written with SET PX so Redis expires it. Every call has a
 * short time budget: a slow or down Redis turns into `{status: 'error'}` (the caller goes to the model), an
 * observer call (the metric) and a throttled log line, never into request latency.
 * @module
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ThrottledErrorLog } from './error-log.js';
import { CacheEntryInvalidError, type StoreError, storeError } from './errors.js';
import { createRedisClient, firstConnection, redisReady, withTimeout } from './redis-client.js';
import type { CachedResponse, CacheErrorObserver, CacheLookup, ResponseCache } from './response-cache.js';

export interface RedisCacheOptions {
  /** A client to use (not closed by close()); otherwise one is created from `url`. */
  readonly client?: Redis;
  /** Used when no client is passed; default redis://127.0.0.1:6379. */
  readonly url?: string;
  /** Namespace of every key; default `paissive:cache:`. */
  readonly keyPrefix?: string;
  /** Budget of one GET or SET (ms); default 50. Past it the lookup is an error and the request goes on. */
  readonly commandTimeoutMs?: number;
  /** Longest wait between reconnect attempts of a created client (ms); default 1000. */
  readonly maxReconnectDelayMs?: number;
  /** Told of every failure (the router counts them in router_redis_errors_total). */
  readonly observer?: CacheErrorObserver;
  readonly logger?: Logger;
  /** At most one log line per operation kind per this many ms; default 30,000. */
  readonly logIntervalMs?: number;
}

export const DEFAULT_CACHE_PREFIX = 'paissive:cache:';

const entrySchema = z.object({
  body: z.string(),
  model: z.string(),
  version: z.string().optional(),
  storedAt: z.number(),
  inputTokens: z.number(),
  outputTokens: z.number(),
});

export class RedisResponseCache implements ResponseCache {
  readonly kind = 'redis';
  readonly #client: Redis;
  readonly #ownsClient: boolean;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #observer: CacheErrorObserver | undefined;
  readonly #log: ThrottledErrorLog;
  readonly #onError = (err: Error) => this.#fail('connect', err);
  readonly #onReady = () => this.#log.recovered({ store: 'cache' });

  constructor(options: RedisCacheOptions = {}) {
    this.#ownsClient = !options.client;
    this.#client =
      options.client ??
      createRedisClient({
        url: options.url,
        maxReconnectDelayMs: options.maxReconnectDelayMs,
        connectionName: 'paissive-router-cache',
      });
    this.#prefix = options.keyPrefix ?? DEFAULT_CACHE_PREFIX;
    this.#timeoutMs = options.commandTimeoutMs ?? 50;
    this.#observer = options.observer;
    this.#log = new ThrottledErrorLog(options.logger, options.logIntervalMs ?? 30_000);
    // Without an 'error' listener ioredis prints every failed reconnect attempt to stderr.
    this.#client.on('error', this.#onError);
    this.#client.on('ready', this.#onReady);
  }

  async get(key: string): Promise<CacheLookup> {
    let raw: string | null;
    const started = performance.now();
    await firstConnection(this.#client, this.#timeoutMs);
    try {
      raw = await withTimeout(
        this.#client.get(this.#prefix + key),
        Math.max(1, this.#timeoutMs - (performance.now() - started)),
        'GET',
      );
    } catch (err) {
      return { status: 'error', error: this.#fail('get', err) };
    }
    this.#log.recovered({ store: 'cache' });
    if (raw === null) return { status: 'miss' };
    const value = parseEntry(raw);
    if (value) return { status: 'hit', value };
    return {
      status: 'error',
      error: this.#fail('get', new CacheEntryInvalidError(`cache entry ${key} is not a CachedResponse`)),
    };
  }

  async set(key: string, value: CachedResponse, ttlSeconds: number): Promise<void> {
    const ttlMs = Math.round(ttlSeconds * 1000);
    if (!(ttlMs > 0)) return;
    try {
      await withTimeout(
        this.#client.set(this.#prefix + key, JSON.stringify(value), 'PX', ttlMs),
        this.#timeoutMs,
        'SET',
      );
    } catch (err) {
      this.#fail('set', err);
    }
  }

  healthy(): boolean {
    return redisReady(this.#client);
  }

  async close(): Promise<void> {
    this.#client.off('error', this.#onError);
    this.#client.off('ready', this.#onReady);
    if (this.#ownsClient) this.#client.disconnect();
  }

  #fail(operation: 'get' | 'set' | 'connect', err: unknown): StoreError {
    const error = storeError(operation.toUpperCase(), err);
    this.#observer?.(operation, error);
    this.#log.error(operation, error, { store: 'cache', code: error.code });
    return error;
  }
}

function parseEntry(raw: string): CachedResponse | undefined {
  try {
    const parsed = entrySchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
