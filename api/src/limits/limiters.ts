/**
 * Where rate-limit counters live: Redis (shared by every replica: `<prefix>rl:<caller>:<window index>`, INCR
 * and PEXPIRE in one script) or this process (local mode). Both count per fixed window and decide with the
 * pure sliding-window estimate; a refused request is taken back. A slow or down Redis lets requests through
 * (a metric and a throttled log line say so): the limiter must never be the reason a request fails.
 * @module
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ThrottledErrorLog } from '../cache/error-log.js';
import { storeError } from '../cache/errors.js';
import { createRedisClient, firstConnection, withTimeout } from '../cache/redis-client.js';
import { type RateDecision, slidingWindow } from './rate-limit.js';

export interface RateLimiter {
  /** Counts one request of `caller` against `limit` per window and decides. */
  take(caller: string, limit: number): Promise<RateDecision>;
  close(): Promise<void>;
}

export interface LimiterOptions {
  readonly windowMs: number;
  readonly now?: () => number;
}

export class MemoryRateLimiter implements RateLimiter {
  readonly #windowMs: number;
  readonly #now: () => number;
  readonly #counts = new Map<string, { index: number; current: number; previous: number }>();

  constructor(options: LimiterOptions) {
    this.#windowMs = options.windowMs;
    this.#now = options.now ?? Date.now;
  }

  async take(caller: string, limit: number): Promise<RateDecision> {
    const now = this.#now();
    const index = Math.floor(now / this.#windowMs);
    let entry = this.#counts.get(caller);
    if (!entry || entry.index < index) {
      const previous = entry?.index === index - 1 ? entry.current : 0;
      entry = { index, current: 0, previous };
      this.#counts.set(caller, entry);
    }
    entry.current++;
    const decision = slidingWindow(
      {
        previous: entry.previous,
        current: entry.current,
        elapsedMs: now - index * this.#windowMs,
        windowMs: this.#windowMs,
      },
      limit,
    );
    if (!decision.allowed) entry.current--;
    return decision;
  }

  async close(): Promise<void> {}
}

export interface RedisLimiterOptions extends LimiterOptions {
  readonly client?: Redis;
  readonly url?: string;
  /** Namespace of the counters; `<prefix>rl:` by the router. */
  readonly keyPrefix: string;
  /** Budget of one call (ms); past it the request is let through. */
  readonly commandTimeoutMs: number;
  readonly onError?: (operation: string) => void;
  readonly logger?: Logger;
}

// KEYS: current window, previous window. ARGV: window ms. Returns {current, previous}.
const COUNT = `
local current = redis.call('INCR', KEYS[1])
if current == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1] * 2) end
return {current, tonumber(redis.call('GET', KEYS[2]) or '0')}`;

type CountingRedis = Redis & {
  rateCount(current: string, previous: string, windowMs: number): Promise<[number, number]>;
};

export class RedisRateLimiter implements RateLimiter {
  readonly #o: RedisLimiterOptions;
  readonly #client: CountingRedis;
  readonly #owns: boolean;
  readonly #now: () => number;
  readonly #log: ThrottledErrorLog;
  readonly #onError = (err: Error) => this.#fail('connect', err);

  constructor(options: RedisLimiterOptions) {
    this.#o = options;
    this.#owns = !options.client;
    const client =
      options.client ?? createRedisClient({ url: options.url, connectionName: 'paissive-router-limits' });
    client.defineCommand('rateCount', { numberOfKeys: 2, lua: COUNT });
    this.#client = client as CountingRedis;
    this.#now = options.now ?? Date.now;
    this.#log = new ThrottledErrorLog(options.logger, 30_000);
    this.#client.on('error', this.#onError);
  }

  async take(caller: string, limit: number): Promise<RateDecision> {
    const { windowMs, keyPrefix, commandTimeoutMs } = this.#o;
    const now = this.#now();
    const index = Math.floor(now / windowMs);
    const key = (i: number) => `${keyPrefix}${caller}:${i}`;
    let counts: [number, number];
    const started = performance.now();
    await firstConnection(this.#client, commandTimeoutMs);
    try {
      counts = await withTimeout(
        this.#client.rateCount(key(index), key(index - 1), windowMs),
        Math.max(1, commandTimeoutMs - (performance.now() - started)),
        'EVALSHA',
      );
    } catch (err) {
      this.#fail('count', err);
      return { allowed: true, remaining: limit };
    }
    this.#log.recovered({ store: 'rate-limits' });
    const [current, previous] = counts;
    const decision = slidingWindow({ previous, current, elapsedMs: now - index * windowMs, windowMs }, limit);
    if (!decision.allowed) this.#client.decr(key(index)).catch((err: unknown) => this.#fail('count', err));
    return decision;
  }

  async close(): Promise<void> {
    // An owned client keeps its listener: a reconnect attempt in flight may still report an error.
    if (this.#owns) this.#client.disconnect();
    else this.#client.off('error', this.#onError);
  }

  #fail(operation: string, err: unknown): void {
    const error = storeError(operation.toUpperCase(), err);
    this.#o.onError?.(operation);
    this.#log.error(operation, error, { store: 'rate-limits', code: error.code });
  }
}
