/**
 * Where rate-limit counters live: Redis (shared by every replica: `<prefix>rl:<caller>:<window index>`, INCR
 * and PEXPIRE in one script) or this process (local mode). Both count per fixed window and decide with the
 * pure sliding-window estimate; a refused request is taken back. A slow or down Redis lets requests through
 * (a metric and a throttled log line say so): the limiter must never be the reason a request fails.
 * @module
 */
import type { Redis } from 'ioredis';
import { firstConnection, withTimeout } from '../cache/redis-client.js';
import { FailOpenRedis, type FailOpenRedisOptions } from './fail-open-redis.js';
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

export interface RedisLimiterOptions extends LimiterOptions, FailOpenRedisOptions {
  /** Namespace of the counters; `<prefix>rl:` by the router. */
  readonly keyPrefix: string;
  /** Budget of one call (ms); past it the request is let through. */
  readonly commandTimeoutMs: number;
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
  readonly #redis: FailOpenRedis<CountingRedis>;
  readonly #client: CountingRedis;
  readonly #now: () => number;

  constructor(options: RedisLimiterOptions) {
    this.#o = options;
    this.#redis = new FailOpenRedis(
      options,
      { store: 'rate-limits', connectionName: 'paissive-router-limits' },
      { rateCount: { numberOfKeys: 2, lua: COUNT } },
    );
    this.#client = this.#redis.client;
    this.#now = options.now ?? Date.now;
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
      this.#redis.fail('count', err);
      return { allowed: true, remaining: limit };
    }
    this.#redis.recovered();
    const [current, previous] = counts;
    const decision = slidingWindow({ previous, current, elapsedMs: now - index * windowMs, windowMs }, limit);
    if (!decision.allowed)
      this.#client.decr(key(index)).catch((err: unknown) => this.#redis.fail('count', err));
    return decision;
  }

  close(): Promise<void> {
    return this.#redis.close();
  }
}
