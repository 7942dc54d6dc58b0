/**
 * Model management: list, details, versions, per-model metrics, and artifact re-download (model-download.ts).
 * @module
 */
import type { AppDeps } from '../deps.js';
import { type AnyRoute, route } from '../http/route.js';
import { hasScope, requireModel } from '../http/scopes.js';
import { type ModelMetricsQuery, modelMetrics, modelMetricsQuery } from '../schemas/metrics.js';
import {
  type DownloadQuery,
  type DownloadRequest,
  downloadQuery,
  downloadRequest,
  downloadResponse,
  modelDetails,
  modelList,
  toModelDetails,
  toModelView,
  toVersionView,
  versionList,
} from '../schemas/models.js';
import { artifactAnswer, audited } from './model-download.js';
import { findModel, visibleModels } from './model-lookup.js';
import { modelPerformance } from './reports.js';
import { windowedFigures } from './version-figures.js';

// metrics.ts and the download routes look models up the same way.
export { findModel, visibleModels };

export function modelRoutes(deps: AppDeps): AnyRoute[] {
  return [
    route({
      method: 'get',
      path: '/api/models',
      summary: 'List models with their readiness and default version',
      tag: 'models',
      scope: 'models:read',
      responses: { 200: { description: 'Every AIModel', schema: modelList } },
      handler: async ({ principal }) => {
        const internal = hasScope(principal, 'models:admin');
        const models = visibleModels(deps, principal).map((m) => toModelView(m, { internal }));
        return { body: { models, total: models.length } };
      },
    }),
    route({
      method: 'get',
      path: '/api/models/:model_id',
      summary: 'One model with its conditions and versions',
      tag: 'models',
      scope: 'models:read',
      responses: { 200: { description: 'The model', schema: modelDetails } },
      handler: async ({ params, principal }) => ({
        body: toModelDetails(findModel(deps, params.model_id as string, principal), {
          internal: hasScope(principal, 'models:admin'),
        }),
      }),
    }),
    route({
      method: 'get',
      path: '/api/models/:model_id/versions',
      summary: "A model's versions (newest first) with status",
      tag: 'models',
      scope: 'models:read',
      responses: { 200: { description: 'The versions', schema: versionList } },
      handler: async ({ params, principal }) => {
        const model = findModel(deps, params.model_id as string, principal);
        const defaultVersion = toModelView(model).default_version;
        return {
          body: {
            model_id: model.name,
            ...(defaultVersion ? { default_version: defaultVersion } : {}),
            versions: model.versions.map((v) =>
              toVersionView(v, defaultVersion, model, { internal: hasScope(principal, 'models:admin') }),
            ),
          },
        };
      },
    }),
    route<undefined, ModelMetricsQuery>({
      method: 'get',
      path: '/api/models/:model_id/metrics',
      summary:
        "A model's performance metrics (requests, tokens, latency, error and fallback rates, cost) by period; with ?window=, each version's figures over that last span",
      tag: 'models',
      scope: 'usage:own',
      query: modelMetricsQuery,
      responses: { 200: { description: 'PerformanceMetrics', schema: modelMetrics } },
      handler: async ({ params, query, principal }) => {
        const model = findModel(deps, params.model_id as string, principal);
        const { window, ...reportQuery } = query;
        const windowed = window ? await windowedFigures(deps, model.name, window) : {};
        const report = await modelPerformance(deps, model.name, reportQuery, principal);
        return { body: { model_id: model.name, ...report, ...windowed } };
      },
    }),
    route<DownloadRequest>({
      method: 'post',
      path: '/api/models/download',
      summary:
        "Re-fetch and verify a version's artifact and reload it in its runtimes; answers with progress after at most wait_seconds",
      tag: 'models',
      scope: 'models:admin',
      modelOperation: 'model.download',
      body: downloadRequest,
      responses: {
        200: {
          description: 'Every runtime fetched, verified and loaded the artifact',
          schema: downloadResponse,
        },
        202: {
          description:
            'Still downloading or loading: progress per runtime; poll status_url (the Location header) to follow it',
          schema: downloadResponse,
        },
      },
      handler: (ctx) =>
        audited(ctx, ctx.body.model_id, ctx.body.version, () => {
          requireModel(ctx.principal, ctx.body.model_id);
          return artifactAnswer(deps, ctx, {
            modelId: ctx.body.model_id,
            version: ctx.body.version,
            waitSeconds: ctx.body.wait_seconds,
            trigger: true,
          });
        }),
    }),
    route<undefined, DownloadQuery>({
      method: 'get',
      path: '/api/models/:model_id/download',
      summary:
        "Progress of a version's artifact download in its runtimes, without starting one (the status URL of POST /api/models/download)",
      tag: 'models',
      scope: 'models:admin',
      query: downloadQuery,
      responses: {
        200: {
          description: 'Every runtime serves its latest load of the artifact',
          schema: downloadResponse,
        },
        202: { description: 'Still downloading or loading: progress per runtime', schema: downloadResponse },
      },
      handler: (ctx) => {
        requireModel(ctx.principal, ctx.params.model_id as string);
        return artifactAnswer(deps, ctx, {
          modelId: ctx.params.model_id as string,
          version: ctx.query.version,
          waitSeconds: ctx.query.wait_seconds,
          trigger: false,
        });
      },
    }),
  ];
}
