/**
 * Service metrics, per-model metrics, token usage and cost (with the month's projection).
 * @module
 */
import type { AppDeps } from '../deps.js';
import { type AnyRoute, route } from '../http/route.js';
import { performanceFigures } from '../metering/reports.js';
import {
  type CallerQuery,
  callerQuery,
  costReportSchema,
  modelMetricsBreakdown,
  type ReportQuery,
  reportQuery,
  serviceMetrics,
  usageReportSchema,
} from '../schemas/metrics.js';
import { findModel, visibleModels } from './models.js';
import { cost, modelPerformanceByVersion, recentBuckets, reportView, usage } from './reports.js';

export function metricsRoutes(deps: AppDeps): AnyRoute[] {
  return [
    route<undefined, CallerQuery>({
      method: 'get',
      path: '/api/metrics',
      summary: 'Service overview: catalog, last 24 hours of traffic, per-model figures',
      tag: 'metrics',
      scope: 'usage:own',
      query: callerQuery,
      responses: { 200: { description: 'Service metrics', schema: serviceMetrics } },
      handler: async ({ query, principal }) => {
        const now = Date.now();
        const view = reportView(principal, query.caller);
        const buckets = await recentBuckets(deps, view, now);
        // A key with a model allow-list sees only its models here too, as in GET /api/models.
        const models = visibleModels(deps, principal);
        return {
          body: {
            view,
            started_at: deps.startedAt.toISOString(),
            uptime_seconds: Math.round((now - deps.startedAt.getTime()) / 1000),
            catalog: {
              models: models.length,
              versions: models.reduce((n, m) => n + m.versions.length, 0),
              ready_versions: models.reduce((n, m) => n + m.versions.filter((v) => v.ready).length, 0),
            },
            last_24h: performanceFigures(buckets),
            models: models.map((m) => ({
              model_id: m.name,
              ...performanceFigures(buckets.filter((b) => b.model === m.name)),
            })),
          },
        };
      },
    }),
    route<undefined, ReportQuery>({
      method: 'get',
      path: '/api/metrics/models/:model_id',
      summary: "A model's metrics by period, with a breakdown by version",
      tag: 'metrics',
      scope: 'usage:own',
      query: reportQuery,
      responses: { 200: { description: 'Per-model metrics', schema: modelMetricsBreakdown } },
      handler: async ({ params, query, principal }) => {
        const model = findModel(deps, params.model_id as string, principal);
        const report = await modelPerformanceByVersion(deps, model.name, query, principal);
        return { body: { model_id: model.name, ...report } };
      },
    }),
    route<undefined, ReportQuery>({
      method: 'get',
      path: '/api/metrics/usage',
      summary: 'Tokens by model, version and period',
      tag: 'metrics',
      scope: 'usage:own',
      query: reportQuery,
      responses: { 200: { description: 'Usage report', schema: usageReportSchema } },
      handler: async ({ query, principal }) => ({ body: await usage(deps, query, principal) }),
    }),
    route<undefined, ReportQuery>({
      method: 'get',
      path: '/api/metrics/cost',
      summary: 'Spend by model and period from AIModel pricing, with a projection to the end of the month',
      tag: 'metrics',
      scope: 'usage:own',
      query: reportQuery,
      responses: { 200: { description: 'Cost report', schema: costReportSchema } },
      handler: async ({ query, principal }) => ({ body: await cost(deps, query, principal) }),
    }),
  ];
}
