/**
 * Reports over usage buckets: per-model performance metrics, token usage and cost by period, and the
 * month's projected spend. Pure: the caller fetches the buckets and passes the clock.
 *
 * Every report counts requests by one rule (usage.ts): against the model asked for, with the outcome and the
 * serving model as breakdowns (`outcomes`, `served_by`); tokens and cost go to the model that served.
 * @module
 */
import { addCounts, HOUR_MS, hourStart, type UsageBucket } from './usage.js';

export type Period = 'hourly' | 'daily';
const DAY_MS = 24 * HOUR_MS;

export interface ReportWindow {
  readonly period: Period;
  readonly from: Date;
  readonly to: Date;
}

export function periodStart(at: number, period: Period): number {
  return period === 'hourly' ? hourStart(at) : Math.floor(at / DAY_MS) * DAY_MS;
}

/** The default window: the last 24 hours (hourly) or the last 7 days (daily), current period included. */
export function defaultWindow(period: Period, now: Date): ReportWindow {
  const step = period === 'hourly' ? HOUR_MS : DAY_MS;
  const count = period === 'hourly' ? 24 : 7;
  const end = periodStart(now.getTime(), period) + step;
  return { period, from: new Date(end - count * step), to: new Date(end) };
}

/** What became of the requests for a model; the three add up to its request count. */
export interface Outcomes {
  success: number;
  cache_hit: number;
  error: number;
}

/** Of a model's served requests, how many each model served (itself, or a fallback), most first. */
export type ServedBy = { model_id: string; requests: number }[];

export function outcomes(buckets: readonly UsageBucket[]): Outcomes {
  let requests = 0;
  let hits = 0;
  let errors = 0;
  for (const b of buckets) {
    requests += b.requests;
    hits += b.cacheHits;
    errors += b.errors;
  }
  return { success: requests - hits - errors, cache_hit: hits, error: errors };
}

export function servedBy(buckets: readonly UsageBucket[]): ServedBy {
  const counts: Record<string, number> = {};
  for (const b of buckets) addCounts(counts, b.servedBy);
  return Object.entries(counts)
    .map(([model_id, requests]) => ({ model_id, requests }))
    .sort((x, y) => y.requests - x.requests || (x.model_id < y.model_id ? -1 : 1));
}

export interface PerformanceFigures {
  requests_count: number;
  outcomes: Outcomes;
  served_by: ServedBy;
  tokens_input: number;
  tokens_output: number;
  avg_response_time_ms: number;
  error_rate: number;
  fallback_rate: number;
  estimated_cost: number;
}

const round = (n: number, digits = 6): number => Number(n.toFixed(digits));

export function performanceFigures(buckets: readonly UsageBucket[]): PerformanceFigures {
  const sum = (f: (b: UsageBucket) => number): number => buckets.reduce((acc, b) => acc + f(b), 0);
  const requests = sum((b) => b.requests);
  return {
    requests_count: requests,
    outcomes: outcomes(buckets),
    served_by: servedBy(buckets),
    tokens_input: sum((b) => b.inputTokens),
    tokens_output: sum((b) => b.outputTokens),
    avg_response_time_ms: requests ? round(sum((b) => b.latencyMsSum) / requests, 2) : 0,
    error_rate: requests ? round(sum((b) => b.errors) / requests, 4) : 0,
    fallback_rate: requests ? round(sum((b) => b.fallbacks) / requests, 4) : 0,
    estimated_cost: round(sum((b) => b.cost)),
  };
}

/** Groups buckets by period start, in time order, with every period of the window present. */
function byPeriod(buckets: readonly UsageBucket[], window: ReportWindow): [number, UsageBucket[]][] {
  const step = window.period === 'hourly' ? HOUR_MS : DAY_MS;
  const groups = new Map<number, UsageBucket[]>();
  for (let t = periodStart(window.from.getTime(), window.period); t < window.to.getTime(); t += step)
    groups.set(t, []);
  for (const b of buckets) groups.get(periodStart(b.start, window.period))?.push(b);
  return [...groups.entries()];
}

export interface PerformanceReport extends PerformanceFigures {
  period: Period;
  from: string;
  to: string;
  series: (PerformanceFigures & { start: string })[];
}

/** The seed's PerformanceMetrics of one model (or the whole service) over a window. */
export function performanceReport(buckets: readonly UsageBucket[], window: ReportWindow): PerformanceReport {
  return {
    period: window.period,
    from: window.from.toISOString(),
    to: window.to.toISOString(),
    ...performanceFigures(buckets),
    series: byPeriod(buckets, window).map(([start, group]) => ({
      start: new Date(start).toISOString(),
      ...performanceFigures(group),
    })),
  };
}

function groupBy<K>(buckets: readonly UsageBucket[], key: (b: UsageBucket) => K): Map<K, UsageBucket[]> {
  const groups = new Map<K, UsageBucket[]>();
  for (const b of buckets) {
    const k = key(b);
    const list = groups.get(k);
    if (list) list.push(b);
    else groups.set(k, [b]);
  }
  return groups;
}

const tokens = (bs: readonly UsageBucket[]) => {
  const input = bs.reduce((a, b) => a + b.inputTokens, 0);
  const output = bs.reduce((a, b) => a + b.outputTokens, 0);
  return { input_tokens: input, output_tokens: output, total_tokens: input + output };
};

const requestCount = (bs: readonly UsageBucket[]) => bs.reduce((a, b) => a + b.requests, 0);

/**
 * Requests by the model asked for (with outcomes and the serving model), tokens by the model that consumed
 * them, by period and by API caller. A model that only served others' fallbacks has 0 requests and its tokens.
 */
export function usageReport(buckets: readonly UsageBucket[], window: ReportWindow) {
  const counted = buckets.filter((b) => b.requests > 0 || b.served > 0);
  const models = [...groupBy(counted, (b) => b.model)].map(([model, bs]) => ({
    model_id: model,
    requests: requestCount(bs),
    outcomes: outcomes(bs),
    served_by: servedBy(bs),
    ...tokens(bs),
    versions: [
      ...groupBy(
        bs.filter((b) => b.served > 0),
        (b) => b.version,
      ),
    ].map(([version, vs]) => ({ version, ...tokens(vs) })),
    series: byPeriod(bs, window).map(([start, group]) => ({
      start: new Date(start).toISOString(),
      ...tokens(group),
    })),
  }));
  const callers = [...groupBy(counted, (b) => b.caller)].map(([caller, bs]) => ({
    caller,
    requests: requestCount(bs),
    ...tokens(bs),
  }));
  return {
    period: window.period,
    from: window.from.toISOString(),
    to: window.to.toISOString(),
    totals: { requests: requestCount(counted), outcomes: outcomes(counted), ...tokens(counted) },
    models: models.sort((a, b) => b.total_tokens - a.total_tokens),
    callers: callers.sort((a, b) => b.total_tokens - a.total_tokens),
  };
}

function totalsByCurrency(bs: readonly UsageBucket[]): { currency: string; amount: number }[] {
  return [...groupBy(bs, (b) => b.currency)].map(([currency, group]) => ({
    currency,
    amount: round(group.reduce((a, b) => a + b.cost, 0)),
  }));
}

export interface MonthProjection {
  month: string;
  days_in_month: number;
  days_elapsed: number;
  month_to_date: { currency: string; amount: number }[];
  projected_total: { currency: string; amount: number }[];
  basis: string;
}

/**
 * Month-to-date spend plus the average daily spend of the last (up to) 7 days times the days left.
 * Recent spend predicts the rest of the month better than the whole month's average when traffic changes.
 */
export function projectMonth(monthBuckets: readonly UsageBucket[], now: Date): MonthProjection {
  const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
  const monthEnd = Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1);
  const elapsedMs = Math.max(now.getTime() - monthStart, HOUR_MS);
  const recentMs = Math.min(7 * DAY_MS, elapsedMs);
  const recentFrom = now.getTime() - recentMs;
  const remainingDays = Math.max(0, monthEnd - now.getTime()) / DAY_MS;
  const mtd = totalsByCurrency(monthBuckets);
  const recent = totalsByCurrency(monthBuckets.filter((b) => b.start + HOUR_MS > recentFrom));
  return {
    month: new Date(monthStart).toISOString().slice(0, 7),
    days_in_month: Math.round((monthEnd - monthStart) / DAY_MS),
    days_elapsed: round(elapsedMs / DAY_MS, 3),
    month_to_date: mtd,
    projected_total: mtd.map(({ currency, amount }) => {
      const perDay = (recent.find((r) => r.currency === currency)?.amount ?? 0) / (recentMs / DAY_MS);
      return { currency, amount: round(amount + perDay * remainingDays) };
    }),
    basis: `month to date plus the average daily spend of the last ${round(recentMs / DAY_MS, 2)} days times ${round(remainingDays, 2)} days left`,
  };
}

const sumAmounts = (costs: readonly { amount: number }[]) => costs.reduce((a, c) => a + c.amount, 0);

/** Spend by model and by API caller (served side) and period. */
export function costReport(buckets: readonly UsageBucket[], window: ReportWindow) {
  const served = buckets.filter((b) => b.served > 0);
  const models = [...groupBy(served, (b) => b.model)].map(([model, bs]) => ({
    model_id: model,
    currency: bs[0]?.currency ?? 'USD',
    cost: round(bs.reduce((a, b) => a + b.cost, 0)),
    ...tokens(bs),
    series: byPeriod(bs, window).map(([start, group]) => ({
      start: new Date(start).toISOString(),
      cost: round(group.reduce((a, b) => a + b.cost, 0)),
    })),
  }));
  return {
    period: window.period,
    from: window.from.toISOString(),
    to: window.to.toISOString(),
    totals: totalsByCurrency(served),
    models: models.sort((a, b) => b.cost - a.cost),
    callers: [...groupBy(served, (b) => b.caller)]
      .map(([caller, bs]) => ({ caller, costs: totalsByCurrency(bs), ...tokens(bs) }))
      .sort((a, b) => sumAmounts(b.costs) - sumAmounts(a.costs)),
  };
}
