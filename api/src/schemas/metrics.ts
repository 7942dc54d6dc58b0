/**
 * Query and response shapes of the usage, cost and performance endpoints.
 * @module
 */
import { z } from 'zod';

/** A caller's name, as router API keys declare it (http/callers.ts). */
const callerName = z
  .string()
  .regex(/^[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$/, 'a caller name (lower-case letters, digits, . _ -)')
  .describe("Only this caller's figures; another caller than your own needs the scope usage:all");

export const reportQuery = z
  .strictObject({
    caller: callerName.optional(),
    period: z.enum(['hourly', 'daily']).optional().describe('Bucket size (default hourly; daily for cost)'),
    from: z.iso.datetime({ offset: true }).optional().describe('Start (inclusive, RFC 3339)'),
    to: z.iso.datetime({ offset: true }).optional().describe('End (exclusive, RFC 3339)'),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) < Date.parse(q.to), {
    message: 'from must be before to',
    path: ['from'],
  });
export type ReportQuery = z.infer<typeof reportQuery>;

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
