/**
 * Reads usage buckets for a report window and hands them to the pure report functions. Every report is a
 * view: the caller's own figures, or every caller's for a key that holds usage:all.
 * @module
 */
import { StoreError } from '../cache/errors.js';
import type { AppDeps } from '../deps.js';
import { PermissionDeniedError, ValidationError } from '../errors.js';
import { hasScope, type Principal } from '../http/scopes.js';
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

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Whose figures a report shows: `caller` set means only that caller's buckets are read. */
export interface ReportView {
  readonly scope: 'own' | 'all';
  readonly caller?: string;
}

/**
 * Figures are private to their caller: without usage:all a key sees only its own, and naming another caller
 * is refused (403) rather than quietly answered with its own figures, so a client never misreads the view.
 * With no keys configured the anonymous principal holds usage:all and sees everything, as before.
 */
export function reportView(principal: Principal, requested?: string): ReportView {
  if (hasScope(principal, 'usage:all'))
    return requested ? { scope: 'all', caller: requested } : { scope: 'all' };
  if (requested !== undefined && requested !== principal.caller) {
    throw new PermissionDeniedError(
      `This API key (${principal.caller}) lacks the scope usage:all needed to read another caller's figures`,
      { scope: 'usage:all', caller: principal.caller },
    );
  }
  return { scope: 'own', caller: principal.caller };
}

const only = (view: ReportView) => (view.caller === undefined ? {} : { caller: view.caller });

/**
 * The usage buckets every report reads, through this one door: a store that cannot be reached (Redis down
 * or slow) is a 503 `usage_store_unavailable` with Retry-After, like the jobs API, not a 500.
 */
export function readBuckets(deps: AppDeps, query: UsageQuery): Promise<UsageBucket[]> {
  return fromUsageStore(() => deps.usage.buckets(query));
}

/** A read of the usage store, with a store failure turned into the 503 `usage_store_unavailable`. */
export async function fromUsageStore<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
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

export async function modelPerformance(
  deps: AppDeps,
  model: string,
  query: ReportQuery,
  principal: Principal,
) {
  const view = reportView(principal, query.caller);
  const window = windowOf(query, 'hourly', deps.config.USAGE_RETENTION_DAYS);
  const buckets = await readBuckets(deps, { from: window.from, to: window.to, model, ...only(view) });
  return { view, ...performanceReport(buckets, window) };
}

export async function modelPerformanceByVersion(
  deps: AppDeps,
  model: string,
  query: ReportQuery,
  principal: Principal,
) {
  const view = reportView(principal, query.caller);
  const window = windowOf(query, 'hourly', deps.config.USAGE_RETENTION_DAYS);
  const buckets = await readBuckets(deps, { from: window.from, to: window.to, model, ...only(view) });
  const byVersion = new Map<string, UsageBucket[]>();
  for (const b of buckets) {
    if (b.version) byVersion.set(b.version, [...(byVersion.get(b.version) ?? []), b]);
  }
  return {
    view,
    ...performanceReport(buckets, window),
    versions: [...byVersion].map(([version, bs]) => ({ version, ...performanceFigures(bs) })),
  };
}

export async function usage(deps: AppDeps, query: ReportQuery, principal: Principal) {
  const view = reportView(principal, query.caller);
  const window = windowOf(query, 'hourly', deps.config.USAGE_RETENTION_DAYS);
  const buckets = await readBuckets(deps, { from: window.from, to: window.to, ...only(view) });
  return { view, ...usageReport(buckets, window) };
}

export async function cost(deps: AppDeps, query: ReportQuery, principal: Principal, now = new Date()) {
  const view = reportView(principal, query.caller);
  const window = windowOf(query, 'daily', deps.config.USAGE_RETENTION_DAYS, now);
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const month = await readBuckets(deps, { from: monthStart, to: new Date(now.getTime() + 1), ...only(view) });
  const served = month.filter((b) => b.served > 0);
  return {
    view,
    ...costReport(await readBuckets(deps, { from: window.from, to: window.to, ...only(view) }), window),
    projection: projectMonth(served, now),
  };
}

/** The service overview's traffic figures (last 24 hours), in the caller's view. */
export async function recentBuckets(deps: AppDeps, view: ReportView, now: number): Promise<UsageBucket[]> {
  return readBuckets(deps, {
    from: new Date(now - 24 * HOUR_MS),
    to: new Date(now + HOUR_MS),
    ...only(view),
  });
}
