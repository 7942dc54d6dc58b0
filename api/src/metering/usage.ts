/**
 * Usage accounting: every inference request becomes a UsageEvent, aggregated into hourly buckets per
 * model, version and caller. Reports (per-model metrics, usage, cost) are pure functions of the buckets.
 *
 * One counting rule for every report (and for router_inference_requests_total): a request counts once,
 * against the model it asked for, whatever became of it; what became of it (served, answered from the
 * cache, failed) and which model served it are breakdowns of that count. Tokens and cost belong to the model
 * that consumed them, the one that served.
 * @module
 */

import type { FailureClass } from './slo-failure.js';
import type { FiguresWindow, VersionFigures } from './version-figures.js';

export const HOUR_MS = 3_600_000;

export interface UsageEvent {
  readonly at: Date;
  readonly caller: string;
  readonly requestedModel: string;
  readonly requestedVersion?: string;
  /**
   * The version of the requested model that routing chose first (named, default or weighted pick), whether
   * or not it served: the version the request counts for in the per-minute figures (version-figures.ts).
   * Absent when the model has no versions or none could be chosen.
   */
  readonly routedVersion?: string;
  /** Absent when nothing served the request. */
  readonly servedModel?: string;
  readonly servedVersion?: string;
  readonly ok: boolean;
  /** Of a failed request (ok false): whether it counts against its version's SLO; absent reads as upstream. */
  readonly failure?: FailureClass;
  readonly fallback: boolean;
  /** Answered from the response cache: no model served it and nothing was consumed. */
  readonly cacheHit?: boolean;
  readonly latencyMs: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cost?: { readonly amount: number; readonly currency: string };
}

/** Counters of one model/version/caller in one hour. */
export interface UsageBucket {
  readonly start: number;
  readonly model: string;
  readonly version: string;
  readonly caller: string;
  /** Requests that asked for this model, whatever became of them: served, cache hits and errors. */
  requests: number;
  errors: number;
  /** Requests for this model answered from the response cache. */
  cacheHits: number;
  /** Requests for this model that another model served. */
  fallbacks: number;
  /** Requests for this model that a model served, by the model that served them (itself or a fallback). */
  servedBy: Record<string, number>;
  latencyMsSum: number;
  /** Requests this model/version served (its own and other models' as their fallback), and what they consumed. */
  served: number;
  inputTokens: number;
  outputTokens: number;
  cost: number;
  currency: string;
}

export interface UsageQuery {
  readonly from: Date;
  readonly to: Date;
  readonly model?: string;
  /** Only this caller's buckets (a report without the scope usage:all); absent: every caller's. */
  readonly caller?: string;
}

/** Whether a bucket falls in a query's model and caller (the time range is each store's own index). */
export function matches(query: UsageQuery, model: string, caller: string): boolean {
  return (!query.model || model === query.model) && (query.caller === undefined || caller === query.caller);
}

/** Where usage is kept. Every router replica must see the same figures, so a shared store backs clusters. */
export interface UsageStore {
  record(event: UsageEvent): Promise<void>;
  /** Hourly buckets that start in [from, to). */
  buckets(query: UsageQuery): Promise<UsageBucket[]>;
  /**
   * Each version's figures of `model` (every caller's requests) summed over the minutes that overlap
   * [from, to), by version name; versions with nothing counted in the window are absent.
   */
  versionFigures(model: string, window: FiguresWindow): Promise<Record<string, VersionFigures>>;
  /** Writes what is pending and releases connections (shutdown). */
  close?(): Promise<void>;
}

export const hourStart = (at: Date | number): number =>
  Math.floor(new Date(at).getTime() / HOUR_MS) * HOUR_MS;

type Increment = Omit<UsageBucket, 'start' | 'model' | 'version' | 'caller'>;

export interface BucketIncrement {
  readonly model: string;
  readonly version: string;
  readonly values: Partial<Increment>;
}

/**
 * How one event splits into bucket increments: the request, its outcome (error, cache hit, or the model that
 * served it), fallbacks and latency go to the model that was asked for; tokens and cost to the model and
 * version that served.
 */
export function incrementsOf(event: UsageEvent): BucketIncrement[] {
  const sameModel = event.servedModel === event.requestedModel;
  const requested: BucketIncrement = {
    model: event.requestedModel,
    version: (sameModel ? event.servedVersion : event.requestedVersion) ?? '',
    values: {
      requests: 1,
      errors: event.ok ? 0 : 1,
      cacheHits: event.cacheHit ? 1 : 0,
      fallbacks: event.fallback ? 1 : 0,
      latencyMsSum: event.latencyMs,
      ...(event.ok && event.servedModel ? { servedBy: { [event.servedModel]: 1 } } : {}),
    },
  };
  if (!event.servedModel) return [requested];
  const served: BucketIncrement = {
    model: event.servedModel,
    version: event.servedVersion ?? '',
    values: {
      served: 1,
      inputTokens: event.inputTokens,
      outputTokens: event.outputTokens,
      cost: event.cost?.amount ?? 0,
      ...(event.cost ? { currency: event.cost.currency } : {}),
    },
  };
  return [requested, served];
}

export function emptyBucket(start: number, model: string, version: string, caller: string): UsageBucket {
  return {
    start,
    model,
    version,
    caller,
    requests: 0,
    errors: 0,
    cacheHits: 0,
    fallbacks: 0,
    servedBy: {},
    latencyMsSum: 0,
    served: 0,
    inputTokens: 0,
    outputTokens: 0,
    cost: 0,
    currency: 'USD',
  };
}

/** Adds an increment to a bucket in place. */
export function applyIncrement(bucket: UsageBucket, values: Partial<Increment>): void {
  for (const [key, value] of Object.entries(values) as [keyof Increment, unknown][]) {
    if (key === 'currency') bucket.currency = value as string;
    else if (key === 'servedBy') addCounts(bucket.servedBy, value as Record<string, number>);
    else (bucket[key] as number) += value as number;
  }
}

/** Adds counts by name into `into`, in place. */
export function addCounts(into: Record<string, number>, counts: Readonly<Record<string, number>>): void {
  for (const [name, n] of Object.entries(counts)) into[name] = (into[name] ?? 0) + n;
}
