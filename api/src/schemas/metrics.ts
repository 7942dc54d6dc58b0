/**
 * Query and response shapes of the usage, cost and performance endpoints.
 * @module
 */
import { z } from 'zod';
import { windowMinutes } from '../metering/window.js';

/** A caller's name, as router API keys declare it (http/callers.ts). */
const callerName = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$/, 'a caller name (lower-case letters, digits, . _ -)')
  .describe("Only this caller's figures; another caller than your own needs the scope usage:all");

const reportFields = {
  caller: callerName.optional(),
  period: z.enum(['hourly', 'daily']).optional().describe('Bucket size (default hourly; daily for cost)'),
  from: z.iso.datetime({ offset: true }).optional().describe('Start (inclusive, RFC 3339)'),
  to: z.iso.datetime({ offset: true }).optional().describe('End (exclusive, RFC 3339)'),
};
const fromBeforeTo = (q: { from?: string; to?: string }) =>
  !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to);
const fromBeforeToIssue = { message: 'from must be before to', path: ['from'] };

export const reportQuery = z.strictObject(reportFields).refine(fromBeforeTo, fromBeforeToIssue);
export type ReportQuery = z.infer<typeof reportQuery>;

/** GET /api/models/{model_id}/metrics: a report query, and optionally a window of per-version figures. */
export const modelMetricsQuery = z
  .strictObject({
    ...reportFields,
    window: z
      .string()
      .refine((w) => windowMinutes(w) !== undefined, {
        message: 'a duration in whole minutes: <n>m, <n>h or <n>h<n>m (e.g. 5m, 90m, 1h30m, 24h)',
      })
      .optional()
      .describe(
        "Adds `versions`: each version's figures over the minutes that overlap this last span (1m up to VERSION_FIGURES_RETENTION_HOURS, 24h by default; whole minutes: 5m, 90m, 1h30m)",
      ),
  })
  .refine(fromBeforeTo, fromBeforeToIssue);
export type ModelMetricsQuery = z.infer<typeof modelMetricsQuery>;

export const callerQuery = z.strictObject({ caller: callerName.optional() });
export type CallerQuery = z.infer<typeof callerQuery>;

/**
 * Whose figures a report holds: `own` (the caller's, without usage:all) or `all` (every caller's, or the one
 * named by `caller` for a usage:all holder).
 */
export const reportView = z
  .object({ scope: z.enum(['own', 'all']), caller: z.string().optional() })
  .describe("Whose figures these are: scope own (the key's caller) or all (every caller, or the one named)");

/** What became of the requests for a model: they add up to its request count. */
const outcomes = z
  .object({ success: z.number().int(), cache_hit: z.number().int(), error: z.number().int() })
  .describe('The requests counted, by what became of them');
const servedBy = z
  .array(z.object({ model_id: z.string(), requests: z.number().int() }))
  .describe('The successful requests counted (cache hits excluded), by the model that served them');

const figures = {
  requests_count: z
    .number()
    .int()
    .describe('Requests that asked for this model: served, cache hits and errors (fallbacks included)'),
  outcomes,
  served_by: servedBy,
  tokens_input: z.number().int(),
  tokens_output: z.number().int(),
  avg_response_time_ms: z.number(),
  error_rate: z.number().describe('Failed requests / requests'),
  fallback_rate: z.number().describe('Requests served by a fallback model / requests'),
  estimated_cost: z.number(),
};

export const performanceMetrics = z.object({
  model_id: z.string().optional(),
  view: reportView,
  period: z.enum(['hourly', 'daily']),
  from: z.string(),
  to: z.string(),
  ...figures,
  series: z.array(z.object({ start: z.string(), ...figures })),
});

const latencyMs = z.number().nullable();

/** One version's figures over a window (metering/version-figures.ts says what counts). */
export const versionFigures = z.object({
  requests: z
    .number()
    .int()
    .describe(
      'Requests routing sent to this version (named, default or weighted pick), whoever answered them; cache hits excluded',
    ),
  errors: z
    .number()
    .int()
    .describe('Of them, failed on the server side: runtime or upstream failure, timeout, unavailable, 5xx'),
  error_rate: z.number().describe('errors / requests; 0 without requests'),
  fallbacks: z.number().int().describe('Of them, answered by a fallback (another version or model)'),
  fallback_rate: z.number().describe('fallbacks / requests; 0 without requests'),
  cache_hits: z.number().int().describe('Requests for this version answered from the response cache'),
  avg_latency_ms: latencyMs.describe('Mean latency of the requests; null without requests'),
  p50_latency_ms: latencyMs.describe('Median latency, estimated from buckets as histogram_quantile does'),
  p95_latency_ms: latencyMs.describe('95th percentile latency, estimated from buckets'),
  p99_latency_ms: latencyMs.describe('99th percentile latency, estimated from buckets'),
});

export const modelMetrics = performanceMetrics.extend({
  window: z
    .object({
      duration: z.string().describe('The window asked for'),
      from: z.string().describe('Start of the first minute counted (RFC 3339)'),
      to: z.string().describe('Now: the end of the figures (RFC 3339)'),
    })
    .optional()
    .describe('With ?window= only: the span `versions` covers'),
  versions: z
    .record(z.string(), versionFigures)
    .optional()
    .describe(
      "With ?window= only: by version, every caller's requests of the window (versions with nothing counted are absent)",
    ),
});

const tokenCounts = {
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  total_tokens: z.number().int(),
};

export const usageReportSchema = z.object({
  view: reportView,
  period: z.enum(['hourly', 'daily']),
  from: z.string(),
  to: z.string(),
  totals: z.object({ requests: z.number().int(), outcomes, ...tokenCounts }),
  models: z.array(
    z.object({
      model_id: z.string(),
      requests: z
        .number()
        .int()
        .describe('Requests that asked for this model, whatever became of them (as requests_count)'),
      outcomes,
      served_by: servedBy,
      ...tokenCounts,
      versions: z.array(z.object({ version: z.string(), ...tokenCounts })),
      series: z.array(z.object({ start: z.string(), ...tokenCounts })),
    }),
  ),
  callers: z
    .array(z.object({ caller: z.string(), requests: z.number().int(), ...tokenCounts }))
    .describe('By router API key name (`anonymous` when the router requires none)'),
});

const money = z.object({ currency: z.string(), amount: z.number() });

export const costReportSchema = z.object({
  view: reportView,
  period: z.enum(['hourly', 'daily']),
  from: z.string(),
  to: z.string(),
  totals: z.array(money),
  models: z.array(
    z.object({
      model_id: z.string(),
      currency: z.string(),
      cost: z.number(),
      ...tokenCounts,
      series: z.array(z.object({ start: z.string(), cost: z.number() })),
    }),
  ),
  callers: z
    .array(z.object({ caller: z.string(), costs: z.array(money), ...tokenCounts }))
    .describe('By router API key name (`anonymous` when the router requires none)'),
  projection: z.object({
    month: z.string(),
    days_in_month: z.number().int(),
    days_elapsed: z.number(),
    month_to_date: z.array(money),
    projected_total: z.array(money),
    basis: z.string(),
  }),
});

export const serviceMetrics = z.object({
  view: reportView,
  started_at: z.string(),
  uptime_seconds: z.number(),
  catalog: z.object({
    models: z.number().int(),
    versions: z.number().int(),
    ready_versions: z.number().int(),
  }),
  last_24h: z.object(figures),
  models: z.array(z.object({ model_id: z.string(), ...figures })),
  batch: z.object({ jobs: z.record(z.string(), z.number()) }).optional(),
});

export const modelMetricsBreakdown = performanceMetrics.extend({
  versions: z.array(z.object({ version: z.string(), ...figures })),
});
