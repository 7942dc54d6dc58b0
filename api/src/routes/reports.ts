/**
 * Reads usage buckets for a report window and hands them to the pure report functions.
 * @module
 */
import { StoreError } from '../cache/errors.js';
import type { AppDeps } from '../deps.js';
import { ValidationError } from '../errors.js';
import { UsageStoreUnavailableError } from '../metering/errors.js';
import {
  costReport,
  defaultWindow,
  type Period,
  performanceFigures,
  performanceReport,
  projectMonth,
  type ReportWindow,
  usageReport,
} from '../metering/reports.js';
import type { UsageBucket, UsageQuery } from '../metering/usage.js';
import type { ReportQuery } from '../schemas/metrics.js';

const DAY_MS = 86_400_000;

/**
 * The usage buckets every report reads, through this one door: a store that cannot be reached (Redis down
 * or slow) is a 503 `usage_store_unavailable` with Retry-After, like the jobs API, not a 500.
 */
export async function readBuckets(deps: AppDeps, query: UsageQuery): Promise<UsageBucket[]> {
  try {
    return await deps.usage.buckets(query);
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    throw new UsageStoreUnavailableError(
      'The usage store (Redis) is unavailable; no report can be read now. Retry shortly.',
      { reason: err.code },
      { cause: err },
    );
  }
}

/** The window a query asks for; bounded by the retention so nobody asks for years of empty buckets. */
export function windowOf(
  query: ReportQuery,
  fallbackPeriod: Period,
  retentionDays: number,
  now = new Date(),
): ReportWindow {
  const period = query.period ?? fallbackPeriod;
  const base = defaultWindow(period, now);
  const to = query.to ? new Date(query.to) : query.from ? now : base.to;
  const from = query.from
    ? new Date(query.from)
    : query.to
      ? new Date(to.getTime() - (base.to.getTime() - base.from.getTime()))
      : base.from;
  if (to.getTime() - from.getTime() > (retentionDays + 1) * DAY_MS) {
    throw new ValidationError(`The window may span at most ${retentionDays} days (the usage retention)`, {
      problems: [{ path: 'query.from', message: `at most ${retentionDays} days before to` }],
    });
  }
  if (from.getTime() >= to.getTime()) {
    throw new ValidationError('from must be before to', {
      problems: [{ path: 'query.from', message: 'must be before to' }],
    });
  }
  return { period, from, to };
}

export async function modelPerformance(deps: AppDeps, model: string, query: ReportQuery) {
  const window = windowOf(query, 'hourly', deps.config.USAGE_RETENTION_DAYS);
  const buckets = await readBuckets(deps, { from: window.from, to: window.to, model });
  return performanceReport(buckets, window);
}

export async function modelPerformanceByVersion(deps: AppDeps, model: string, query: ReportQuery) {
  const window = windowOf(query, 'hourly', deps.config.USAGE_RETENTION_DAYS);
  const buckets = await readBuckets(deps, { from: window.from, to: window.to, model });
  const byVersion = new Map<string, UsageBucket[]>();
  for (const b of buckets) {
    if (b.version) byVersion.set(b.version, [...(byVersion.get(b.version) ?? []), b]);
  }
  return {
    ...performanceReport(buckets, window),
    versions: [...byVersion].map(([version, bs]) => ({ version, ...performanceFigures(bs) })),
  };
}

export async function usage(deps: AppDeps, query: ReportQuery) {
  const window = windowOf(query, 'hourly', deps.config.USAGE_RETENTION_DAYS);
  return usageReport(await readBuckets(deps, { from: window.from, to: window.to }), window);
}

export async function cost(deps: AppDeps, query: ReportQuery, now = new Date()) {
  const window = windowOf(query, 'daily', deps.config.USAGE_RETENTION_DAYS, now);
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const month = await readBuckets(deps, { from: monthStart, to: new Date(now.getTime() + 1) });
  const served = month.filter((b) => b.served > 0);
  return {
    ...costReport(await readBuckets(deps, { from: window.from, to: window.to }), window),
    projection: projectMonth(served, now),
  };
}
