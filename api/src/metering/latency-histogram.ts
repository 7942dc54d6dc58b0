/**
 * A latency histogram with fixed buckets, kept per model, version and minute, and the quantile estimate
 * Prometheus' histogram_quantile() makes from such buckets (linear interpolation inside the bucket the rank
 * falls in). Fixed bounds are what lets counters from every router replica and every minute be added up.
 * Pure.
 * @module
 */

/**
 * Upper bounds (ms) of the buckets; one more bucket above the last is +Inf. Finer than the router's
 * Prometheus buckets between 100 ms and 2 s, where latency SLOs (e.g. p95 under 800 ms) are set, so an
 * estimate there is off by at most the width of one bucket (50 to 250 ms) and usually far less.
 */
export const LATENCY_BOUNDS_MS: readonly number[] = [
  5, 10, 25, 50, 75, 100, 150, 200, 300, 400, 500, 600, 800, 1000, 1250, 1500, 2000, 3000, 5000, 7500, 10_000,
  15_000, 30_000, 60_000,
];

/** How many buckets a histogram has: one per bound and the +Inf one. */
export const BUCKET_COUNT = LATENCY_BOUNDS_MS.length + 1;

/** The bucket a latency falls in: the first whose upper bound is at least it (Prometheus' `le`). */
export function bucketOf(latencyMs: number): number {
  const i = LATENCY_BOUNDS_MS.findIndex((bound) => latencyMs <= bound);
  return i === -1 ? LATENCY_BOUNDS_MS.length : i;
}

/** The name of a bucket where it is stored (a Redis hash field): `le:<bound>`, `le:inf` for the last. */
export const bucketName = (i: number): string => `le:${LATENCY_BOUNDS_MS[i] ?? 'inf'}`;

/** The bucket a stored name stands for; undefined for a name of no bucket of this histogram. */
export function bucketIndexOf(name: string): number | undefined {
  if (name === 'le:inf') return LATENCY_BOUNDS_MS.length;
  if (!name.startsWith('le:')) return undefined;
  const i = LATENCY_BOUNDS_MS.indexOf(Number(name.slice(3)));
  return i === -1 ? undefined : i;
}

/**
 * The q-quantile (0 < q < 1) of the observations counted per bucket (`counts[i]`: observations in bucket i,
 * not cumulative), as histogram_quantile() computes it: the rank q·total is located in the cumulative
 * counts, and the value is interpolated linearly between the bucket's lower and upper bound (the first
 * bucket starts at 0). A rank in the +Inf bucket gives the highest finite bound. Null without observations.
 */
export function quantileOf(q: number, counts: readonly number[]): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < LATENCY_BOUNDS_MS.length; i++) {
    const inBucket = counts[i] ?? 0;
    if (below + inBucket >= rank) {
      const lower = i === 0 ? 0 : (LATENCY_BOUNDS_MS[i - 1] as number);
      const upper = LATENCY_BOUNDS_MS[i] as number;
      return lower + (upper - lower) * ((rank - below) / inBucket);
    }
    below += inBucket;
  }
  return LATENCY_BOUNDS_MS.at(-1) as number;
}
