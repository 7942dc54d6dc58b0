/**
 * Token and spend budgets per caller, as data and arithmetic: the declarations (ROUTER_TOKEN_LIMITS is
 * `caller=N` tokens per window like the request limits; ROUTER_SPEND_LIMITS is `caller=USD/day` or
 * `caller=USD/month`), the counters a request reserves against, and what a refusal tells the client (how long
 * to wait, OpenAI's x-ratelimit-* headers). Pure; the counters live in budget-store.ts.
 * @module
 */
import { entriesOf, parseRateLimits, type RateLimits, RateLimitsError } from './rate-limit.js';

export type SpendPeriod = 'day' | 'month';

export interface SpendLimit {
  /** In the pricing currency of the models (AIModel spec.pricing, USD by convention). */
  readonly amount: number;
  readonly period: SpendPeriod;
}

export interface SpendLimits {
  /** A named caller's limits (at most one per period) replace the `*` ones entirely. */
  readonly byCaller: ReadonlyMap<string, readonly SpendLimit[]>;
  readonly fallback?: readonly SpendLimit[];
}

export interface Budgets {
  readonly tokens?: RateLimits;
  readonly spend?: SpendLimits;
}

export function parseTokenLimits(text: string, source: string): RateLimits {
  const limits = parseRateLimits(text, source, 'tokens');
  if (limits.byCaller.size === 0 && limits.fallback === undefined)
    throw new RateLimitsError(`${source} is set but declares no limit`);
  return limits;
}

const SPEND =
  /^([a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?|\*)\s*=\s*\$?(\d{1,9}(?:\.\d{1,6})?)\s*\/\s*(day|month)$/;

/** Parses `caller=USD/day` and `caller=USD/month` entries (`*=` for every caller not named). */
export function parseSpendLimits(text: string, source: string): SpendLimits {
  const byCaller = new Map<string, SpendLimit[]>();
  entriesOf(text).forEach((entry, index) => {
    const match = SPEND.exec(entry);
    const amount = Number(match?.[2]);
    if (!match || !(amount > 0)) {
      throw new RateLimitsError(
        `${source} entry ${index + 1} (${entry}): expected caller=AMOUNT/day or caller=AMOUNT/month (or *=...) with AMOUNT a positive number such as 2.50`,
      );
    }
    const caller = match[1] as string;
    const period = match[3] as SpendPeriod;
    const list = byCaller.get(caller) ?? [];
    if (list.some((l) => l.period === period))
      throw new RateLimitsError(`${source} entry ${index + 1}: ${caller} has two limits per ${period}`);
    list.push({ amount, period });
    byCaller.set(caller, list);
  });
  if (byCaller.size === 0) throw new RateLimitsError(`${source} is set but declares no limit`);
  const fallback = byCaller.get('*');
  byCaller.delete('*');
  return fallback ? { byCaller, fallback } : { byCaller };
}

export function spendLimitsFor(limits: SpendLimits, caller: string): readonly SpendLimit[] {
  return limits.byCaller.get(caller) ?? limits.fallback ?? [];
}

/** Spend is counted in billionths of the currency: integers, exact in Redis and in a double up to 9e6. */
export const SPEND_UNITS = 1e9;
export const toSpendUnits = (amount: number): number => Math.round(amount * SPEND_UNITS);

/** The UTC calendar day or month `now` falls in: its id (part of the counter's key) and when it ends. */
export function spendPeriod(now: number, period: SpendPeriod): { id: string; endsAt: number } {
  const d = new Date(now);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth();
  const pad = (n: number) => String(n).padStart(2, '0');
  if (period === 'month') return { id: `${y}-${pad(m + 1)}`, endsAt: Date.UTC(y, m + 1, 1) };
  return { id: `${y}-${pad(m + 1)}-${pad(d.getUTCDate())}`, endsAt: Date.UTC(y, m, d.getUTCDate() + 1) };
}

/** The fixed token window `now` falls in, and how much of the previous one still overlaps the sliding window. */
export function tokenWindow(
  now: number,
  windowMs: number,
): { index: number; elapsedMs: number; weight: number } {
  const index = Math.floor(now / windowMs);
  const elapsedMs = now - index * windowMs;
  return { index, elapsedMs, weight: (windowMs - elapsedMs) / windowMs };
}

export interface WindowState {
  /** Tokens counted in the current fixed window (before this request). */
  readonly current: number;
  readonly previous: number;
  readonly elapsedMs: number;
  readonly windowMs: number;
}

const used = (s: WindowState) => s.previous * ((s.windowMs - s.elapsedMs) / s.windowMs) + s.current;

export const tokensRemaining = (s: WindowState, limit: number): number =>
  Math.max(0, Math.floor(limit - used(s)));

/**
 * How long until `amount` more tokens fit under `limit`, nothing else arriving; undefined when they never
 * can (the request alone is larger than the limit). The previous window slides out linearly; the current
 * window becomes the previous one when it ends.
 */
export function tokensWaitMs(s: WindowState, amount: number, limit: number): number | undefined {
  if (amount > limit) return undefined;
  const { current, previous, elapsedMs, windowMs } = s;
  if (used(s) + amount <= limit) return 0;
  const left = windowMs - elapsedMs;
  if (current + amount <= limit) {
    // Within this window: the previous one's share must shrink to the room left.
    const weight = (limit - current - amount) / previous;
    return Math.max(1, Math.ceil(left - weight * windowMs));
  }
  // After this window ends, its count weighs (limit - amount) / current at most.
  const weight = current > 0 ? (limit - amount) / current : 1;
  return Math.max(1, Math.ceil(left + (1 - Math.min(1, weight)) * windowMs));
}

/** Until the window holds nothing of what was counted so far (OpenAI's x-ratelimit-reset-tokens). */
export function tokensResetMs(s: WindowState): number {
  const left = s.windowMs - s.elapsedMs;
  if (s.current > 0) return left + s.windowMs;
  return s.previous > 0 ? left : 0;
}

/** A duration as OpenAI writes it in x-ratelimit-reset-*: `17ms`, `1s`, `1.5s`, `6m0s`, `1h2m3s`. */
export function openAIDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms));
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const seconds = (total % 60_000) / 1000;
  const s = `${Number(seconds.toFixed(3))}s`;
  if (hours > 0) return `${hours}h${minutes}m${s}`;
  if (minutes > 0) return `${minutes}m${s}`;
  return s;
}
