/**
 * Per-version figures per minute: what an SLO-gated rollout compares between a canary and the stable
 * version over its last interval, and what the dashboard charts. Every usage event of a request that
 * routing sent to a version adds to that version's counters of the minute it ended in; a window's figures
 * are the sums over its minutes. Pure: the stores keep the counters.
 *
 * Counting rule. A request belongs to the version routing chose for it first (the version named, or the
 * default, or the weighted pick), whatever served it in the end: a request for a canary that its fallback
 * answered is the canary's fallback. Answers from the response cache are counted apart (`cacheHits`) and
 * stay out of requests, errors and latency: the version did not compute them. Failed requests count by
 * their class (slo-failure.ts): `upstream` failures are requests and errors, `rejected` ones are requests,
 * `refused` ones are not counted. Requests to a model without versions (an external endpoint) have no
 * version and no per-version figures.
 * @module
 */
import { BUCKET_COUNT, bucketOf, quantileOf } from './latency-histogram.js';
import type { UsageEvent } from './usage.js';

export const MINUTE_MS = 60_000;

/** How long per-version minute counters are kept when no setting says (VERSION_FIGURES_RETENTION_HOURS). */
export const DEFAULT_FIGURES_RETENTION_HOURS = 24;

export const minuteStart = (at: Date | number): number =>
  Math.floor(new Date(at).getTime() / MINUTE_MS) * MINUTE_MS;

/** Counters of one version in one minute (or summed over several). */
export interface MinuteCounts {
  requests: number;
  errors: number;
  fallbacks: number;
  cacheHits: number;
  latencyMsSum: number;
  /** Requests per latency bucket (latency-histogram.ts), not cumulative; BUCKET_COUNT long. */
  latency: number[];
}

/** One version's counters of one minute, as a store reads them back. */
export interface MinuteRecord {
  readonly start: number;
  readonly model: string;
  readonly version: string;
  readonly counts: MinuteCounts;
}

export interface FiguresWindow {
  readonly from: Date;
  readonly to: Date;
}

/** A version's figures over a window. Rates are 0 and latencies null without requests. */
export interface VersionFigures {
  readonly requests: number;
  readonly errors: number;
  readonly errorRate: number;
  readonly fallbacks: number;
  readonly fallbackRate: number;
  readonly cacheHits: number;
  readonly avgLatencyMs: number | null;
  readonly p50LatencyMs: number | null;
  readonly p95LatencyMs: number | null;
  readonly p99LatencyMs: number | null;
}

export const emptyCounts = (): MinuteCounts => ({
  requests: 0,
  errors: 0,
  fallbacks: 0,
  cacheHits: 0,
  latencyMsSum: 0,
  latency: new Array<number>(BUCKET_COUNT).fill(0),
});

/** Adds `counts` into `into`, in place. */
export function addMinuteCounts(into: MinuteCounts, counts: Readonly<MinuteCounts>): void {
  into.requests += counts.requests;
  into.errors += counts.errors;
  into.fallbacks += counts.fallbacks;
  into.cacheHits += counts.cacheHits;
  into.latencyMsSum += counts.latencyMsSum;
  counts.latency.forEach((n, i) => {
    into.latency[i] = (into.latency[i] ?? 0) + n;
  });
}

/** What one event adds: a record of one count. */
export type MinuteIncrement = MinuteRecord;

/** What one usage event adds to its version's minute; undefined when it counts for no version. */
export function minuteIncrementOf(event: UsageEvent): MinuteIncrement | undefined {
  if (!event.routedVersion) return undefined;
  const counts = emptyCounts();
  if (event.ok && event.cacheHit) counts.cacheHits = 1;
  else {
    const failure = event.ok ? undefined : (event.failure ?? 'upstream');
    if (failure === 'refused') return undefined;
    counts.requests = 1;
    counts.errors = failure === 'upstream' ? 1 : 0;
    counts.fallbacks = event.ok && event.fallback ? 1 : 0;
    counts.latencyMsSum = event.latencyMs;
    counts.latency[bucketOf(event.latencyMs)] = 1;
  }
  return {
    start: minuteStart(event.at),
    model: event.requestedModel,
    version: event.routedVersion,
    counts,
  };
}

/**
 * The minute starts a window reads: every minute that overlaps [from, to), none that has expired (older
 * than `retentionMs` before `to`). The first minute may begin before `from`: figures are whole minutes.
 */
export function minutesOf(window: FiguresWindow, retentionMs: number): number[] {
  const to = window.to.getTime();
  const first = Math.max(minuteStart(window.from), minuteStart(to - retentionMs));
  const minutes: number[] = [];
  for (let m = first; m < to; m += MINUTE_MS) minutes.push(m);
  return minutes;
}

const rate = (part: number, whole: number) => (whole ? part / whole : 0);

function figuresOf(counts: Readonly<MinuteCounts>): VersionFigures {
  const observed = counts.requests > 0;
  return {
    requests: counts.requests,
    errors: counts.errors,
    errorRate: rate(counts.errors, counts.requests),
    fallbacks: counts.fallbacks,
    fallbackRate: rate(counts.fallbacks, counts.requests),
    cacheHits: counts.cacheHits,
    avgLatencyMs: observed ? counts.latencyMsSum / counts.requests : null,
    p50LatencyMs: quantileOf(0.5, counts.latency),
    p95LatencyMs: quantileOf(0.95, counts.latency),
    p99LatencyMs: quantileOf(0.99, counts.latency),
  };
}

/** Each version's figures over the minute records of a window (records outside it are the store's to skip). */
export function versionFiguresOf(records: readonly MinuteRecord[]): Record<string, VersionFigures> {
  const sums = new Map<string, MinuteCounts>();
  for (const record of records) {
    let sum = sums.get(record.version);
    if (!sum) {
      sum = emptyCounts();
      sums.set(record.version, sum);
    }
    addMinuteCounts(sum, record.counts);
  }
  return Object.fromEntries(
    [...sums].sort(([a], [b]) => (a < b ? -1 : 1)).map(([v, c]) => [v, figuresOf(c)]),
  );
}
