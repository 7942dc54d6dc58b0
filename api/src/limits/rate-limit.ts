/**
 * Request rate limits per caller (router API key name): declared as `caller=N` requests per window
 * (ROUTER_RATE_LIMITS, `*` for every caller not named), counted with a sliding window estimated from two fixed
 * windows (the previous window's count, weighted by how much of it still overlaps, plus the current one), as
 * Cloudflare and most gateways do: O(1) memory per caller and no burst at a window boundary. Pure; the counters
 * live in Redis (every replica shares them) or in this process (limiters.ts).
 * @module
 */

export class RateLimitsError extends Error {}

export interface RateLimits {
  /** Requests per window for a named caller. */
  readonly byCaller: ReadonlyMap<string, number>;
  /** For callers not named (`*`); none: unlimited. */
  readonly fallback?: number;
}

const ENTRY = /^([a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?|\*)\s*=\s*(\d{1,9})$/;

/**
 * Parses `caller=N` entries separated by commas (`*=N` for everyone else). Throws naming the entry. `unit`
 * names what N counts in the error (token limits share the format).
 */
export function parseRateLimits(text: string, source: string, unit = 'requests'): RateLimits {
  const byCaller = new Map<string, number>();
  let fallback: number | undefined;
  entriesOf(text).forEach((entry, index) => {
    const match = ENTRY.exec(entry);
    const limit = Number(match?.[2]);
    if (!match || !(limit >= 1)) {
      throw new RateLimitsError(
        `${source} entry ${index + 1} (${entry}): expected caller=N or *=N with N a whole number of ${unit} from 1`,
      );
    }
    const caller = match[1] as string;
    if (caller === '*' ? fallback !== undefined : byCaller.has(caller))
      throw new RateLimitsError(`${source} entry ${index + 1}: ${caller} is limited twice`);
    if (caller === '*') fallback = limit;
    else byCaller.set(caller, limit);
  });
  return fallback === undefined ? { byCaller } : { byCaller, fallback };
}

/** The non-empty, trimmed entries of a comma-separated limits variable. */
export const entriesOf = (text: string): string[] =>
  text
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);

export function limitFor(limits: RateLimits, caller: string): number | undefined {
  return limits.byCaller.get(caller) ?? limits.fallback;
}

export interface WindowCounts {
  /** Requests counted in the previous fixed window. */
  readonly previous: number;
  /** Requests counted in the current fixed window, this one included. */
  readonly current: number;
  /** Time since the current window began. */
  readonly elapsedMs: number;
  readonly windowMs: number;
}

export type RateDecision =
  | { readonly allowed: true; readonly remaining: number }
  | { readonly allowed: false; readonly retryAfterMs: number };

/**
 * Whether the request that brought the current count to `current` may pass: the estimated requests of the
 * last window (the previous window's share that still overlaps it, plus the current one) must not exceed
 * `limit`. A refused request is not counted (the caller takes it back). `retryAfterMs` is when the estimate,
 * with no new requests, falls low enough for one more.
 */
export function slidingWindow(counts: WindowCounts, limit: number): RateDecision {
  const { previous, current, elapsedMs, windowMs } = counts;
  const overlap = Math.max(0, windowMs - elapsedMs) / windowMs;
  const estimate = previous * overlap + current;
  if (estimate <= limit) return { allowed: true, remaining: Math.max(0, Math.floor(limit - estimate)) };
  // Without this request the window holds current - 1; one more fits once previous·overlap' ≤ limit - current.
  const room = limit - current;
  if (room >= 0 && previous > 0) {
    const overlapNeeded = room / previous;
    const waitMs = windowMs - elapsedMs - overlapNeeded * windowMs;
    return { allowed: false, retryAfterMs: Math.max(1, Math.ceil(waitMs)) };
  }
  // The current window alone is full: wait for it to end, then for enough of it to slide out.
  const share = Math.min(1, Math.max(0, (current - limit) / Math.max(current - 1, 1)));
  return { allowed: false, retryAfterMs: Math.max(1, Math.ceil(windowMs - elapsedMs + share * windowMs)) };
}
