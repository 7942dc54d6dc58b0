/**
 * Where budget counters live: Redis (shared by every replica; one Lua script checks every counter of a
 * request and takes from all of them or none, so two replicas cannot both spend the last tokens) or this
 * process (local mode). A counter is a fixed window (tokens) whose previous window still weighs in, or a
 * calendar period (spend) with no previous one. Like the request limiter, a slow or down Redis lets requests
 * through (a metric and a throttled log line say so): the budget must never be the reason a request fails.
 * @module
 */
import type { Redis } from 'ioredis';
import { firstConnection, withTimeout } from '../cache/redis-client.js';
import { FailOpenRedis, type FailOpenRedisOptions } from './fail-open-redis.js';

export interface BudgetCounter {
  /** The counter's key, without the store's prefix. */
  readonly key: string;
  /** The previous window's key, weighted by `previousWeight`; none for a calendar period. */
  readonly previousKey?: string;
  readonly previousWeight: number;
  /** Whole units (tokens, or billionths of the currency). */
  readonly limit: number;
  readonly amount: number;
  /** How long the counter is kept after its last change. */
  readonly ttlMs: number;
}

export interface CounterState {
  /** Before this request: what the key and the previous key held. */
  readonly current: number;
  readonly previous: number;
}

export interface Reservation {
  /** The index of the first counter the amount did not fit; none when every amount was taken. */
  readonly refused?: number;
  readonly states: readonly CounterState[];
}

export interface BudgetStore {
  /**
   * Takes each counter's amount when every one fits (`previous × weight + current + amount ≤ limit`), else
   * none. Undefined when the store could not answer (the request goes on unreserved).
   */
  reserve(counters: readonly BudgetCounter[]): Promise<Reservation | undefined>;
  /** Adds `delta` (negative: gives back) to a counter that still exists; settles a reservation. */
  adjust(key: string, delta: number): Promise<void>;
  close(): Promise<void>;
}

const fits = (c: BudgetCounter, s: CounterState) =>
  c.amount <= 0 || s.previous * c.previousWeight + s.current + c.amount <= c.limit;

export class MemoryBudgetStore implements BudgetStore {
  readonly #now: () => number;
  readonly #counters = new Map<string, { value: number; expiresAt: number }>();
  #sweptAt = 0;

  constructor(options: { now?: () => number } = {}) {
    this.#now = options.now ?? Date.now;
  }

  async reserve(counters: readonly BudgetCounter[]): Promise<Reservation> {
    this.#sweep();
    const states = counters.map((c) => ({
      current: this.#get(c.key),
      previous: c.previousKey ? this.#get(c.previousKey) : 0,
    }));
    const refused = counters.findIndex((c, i) => !fits(c, states[i] as CounterState));
    if (refused >= 0) return { refused, states };
    const now = this.#now();
    for (const c of counters) {
      if (c.amount <= 0) continue;
      this.#counters.set(c.key, { value: this.#get(c.key) + c.amount, expiresAt: now + c.ttlMs });
    }
    return { states };
  }

  async adjust(key: string, delta: number): Promise<void> {
    const entry = this.#counters.get(key);
    if (entry && entry.expiresAt > this.#now()) entry.value += delta;
  }

  async close(): Promise<void> {}

  #get(key: string): number {
    const entry = this.#counters.get(key);
    return entry && entry.expiresAt > this.#now() ? entry.value : 0;
  }

  /** Expired counters go once a minute at most: callers come and go, the map must not keep them all. */
  #sweep(): void {
    const now = this.#now();
    if (now - this.#sweptAt < 60_000) return;
    this.#sweptAt = now;
    for (const [key, entry] of this.#counters) if (entry.expiresAt <= now) this.#counters.delete(key);
  }
}

// KEYS: per counter its key and previous key. ARGV: per counter amount, limit, previous weight, ttl ms.
// Returns {refused index (1-based, 0: none), current1, previous1, current2, ...}, states before this request.
const RESERVE = `
local n = #KEYS / 2
local out = {0}
local refused = 0
for i = 1, n do
  local current = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
  local previous = 0
  if KEYS[2 * i] ~= KEYS[2 * i - 1] then previous = tonumber(redis.call('GET', KEYS[2 * i]) or '0') end
  out[2 * i] = current
  out[2 * i + 1] = previous
  local amount = tonumber(ARGV[4 * i - 3])
  if refused == 0 and amount > 0 and previous * tonumber(ARGV[4 * i - 1]) + current + amount > tonumber(ARGV[4 * i - 2]) then
    refused = i
  end
end
if refused == 0 then
  for i = 1, n do
    local amount = tonumber(ARGV[4 * i - 3])
    if amount > 0 then
      redis.call('INCRBY', KEYS[2 * i - 1], amount)
      redis.call('PEXPIRE', KEYS[2 * i - 1], ARGV[4 * i])
    end
  end
end
out[1] = refused
return out`;

// A counter that expired is not brought back by a late settlement (it would live without a TTL).
const ADJUST = `
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('INCRBY', KEYS[1], ARGV[1]) end
return 0`;

type BudgetRedis = Redis & {
  budgetReserve(...args: (string | number)[]): Promise<number[]>;
  budgetAdjust(key: string, delta: number): Promise<number>;
};

export interface RedisBudgetStoreOptions extends FailOpenRedisOptions {
  /** Namespace of the counters; `<prefix>budget:` by the router. */
  readonly keyPrefix: string;
  /** Budget of one call (ms); past it the request is let through. */
  readonly commandTimeoutMs: number;
}

export class RedisBudgetStore implements BudgetStore {
  readonly #o: RedisBudgetStoreOptions;
  readonly #redis: FailOpenRedis<BudgetRedis>;
  readonly #client: BudgetRedis;

  constructor(options: RedisBudgetStoreOptions) {
    this.#o = options;
    this.#redis = new FailOpenRedis(
      options,
      { store: 'budgets', connectionName: 'paissive-router-budgets' },
      {
        budgetReserve: { lua: RESERVE },
        budgetAdjust: { numberOfKeys: 1, lua: ADJUST },
      },
    );
    this.#client = this.#redis.client;
  }

  async reserve(counters: readonly BudgetCounter[]): Promise<Reservation | undefined> {
    const { keyPrefix, commandTimeoutMs } = this.#o;
    const keys = counters.flatMap((c) => [keyPrefix + c.key, keyPrefix + (c.previousKey ?? c.key)]);
    const args = counters.flatMap((c) => [c.amount, c.limit, c.previousWeight, c.ttlMs]);
    const started = performance.now();
    let reply: number[];
    try {
      await firstConnection(this.#client, commandTimeoutMs);
      reply = await withTimeout(
        this.#client.budgetReserve(keys.length, ...keys, ...args),
        Math.max(1, commandTimeoutMs - (performance.now() - started)),
        'EVALSHA',
      );
    } catch (err) {
      this.#redis.fail('reserve', err);
      return undefined;
    }
    this.#redis.recovered();
    const states = counters.map((_, i) => ({
      current: Number(reply[1 + 2 * i]),
      previous: Number(reply[2 + 2 * i]),
    }));
    const refused = Number(reply[0]);
    return refused > 0 ? { refused: refused - 1, states } : { states };
  }

  async adjust(key: string, delta: number): Promise<void> {
    if (delta === 0) return;
    try {
      await withTimeout(
        this.#client.budgetAdjust(this.#o.keyPrefix + key, delta),
        this.#o.commandTimeoutMs,
        'EVALSHA',
      );
    } catch (err) {
      this.#redis.fail('settle', err);
    }
  }

  close(): Promise<void> {
    return this.#redis.close();
  }
}
