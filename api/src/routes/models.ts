/**
 * Model management: list, details, versions, per-model metrics, and artifact re-download.
 * @module
 */
import type { z } from 'zod';
import type { CatalogModel } from '../catalog/catalog.js';
import type { AppDeps } from '../deps.js';
import { ModelNotFoundError, ModelUnavailableError, NoArtifactError } from '../errors.js';
import { type AnyRoute, route } from '../http/route.js';
import { selectVersion } from '../routing/select-version.js';
import { performanceMetrics, type ReportQuery, reportQuery } from '../schemas/metrics.js';
import {
  downloadRequest,
  downloadResponse,
  modelDetails,
  modelList,
  toModelDetails,
  toModelView,
  toVersionView,
  versionList,
} from '../schemas/models.js';
import { modelPerformance } from './reports.js';

export function findModel(deps: AppDeps, id: string): CatalogModel {
  const model = deps.catalog.model(id);
  if (!model) throw new ModelNotFoundError(`No model named ${id}`, { model_id: id });
  return model;
}

export function modelRoutes(deps: AppDeps): AnyRoute[] {
  return [
    route({
      method: 'get',
      path: '/api/models',
      summary: 'List models with their readiness and default version',
      tag: 'models',
      responses: { 200: { description: 'Every AIModel', schema: modelList } },
      handler: async () => {
        const models = deps.catalog.models().map(toModelView);
        return { body: { models, total: models.length } };
      },
    }),
    route({
      method: 'get',
      path: '/api/models/:model_id',
      summary: 'One model with its conditions and versions',
      tag: 'models',
      responses: { 200: { description: 'The model', schema: modelDetails } },
      handler: async ({ params }) => ({ body: toModelDetails(findModel(deps, params.model_id as string)) }),
    }),
    route({
      method: 'get',
      path: '/api/models/:model_id/versions',
      summary: "A model's versions (newest first) with status",
      tag: 'models',
      responses: { 200: { description: 'The versions', schema: versionList } },
      handler: async ({ params }) => {
        const model = findModel(deps, params.model_id as string);
        const defaultVersion = toModelView(model).default_version;
        return {
          body: {
            model_id: model.name,
            ...(defaultVersion ? { default_version: defaultVersion } : {}),
            versions: model.versions.map((v) => toVersionView(v, defaultVersion)),
          },
        };
      },
    }),
    route<undefined, ReportQuery>({
      method: 'get',
      path: '/api/models/:model_id/metrics',
      summary:
        "A model's performance metrics (requests, tokens, latency, error and fallback rates, cost) by period",
      tag: 'models',
      query: reportQuery,
      responses: { 200: { description: 'PerformanceMetrics', schema: performanceMetrics } },
      handler: async ({ params, query }) => {
        const model = findModel(deps, params.model_id as string);
        const report = await modelPerformance(deps, model.name, query);
        return { body: { model_id: model.name, ...report } };
      },
    }),
    route<z.infer<typeof downloadRequest>>({
      method: 'post',
      path: '/api/models/download',
      summary: "Re-fetch and verify a version's artifact and reload it in its runtime",
      tag: 'models',
      body: downloadRequest,
      responses: { 200: { description: 'The artifact is verified and loaded', schema: downloadResponse } },
      handler: async ({ body, requestId, signal }) => {
        const model = findModel(deps, body.model_id);
        if (model.spec.provider !== 'onnx') {
          throw new NoArtifactError(
            `Model ${model.name} is served by ${model.spec.endpoint?.baseURL}; it has no artifact`,
          );
        }
        const choice = selectVersion(model, body.version);
        if (choice.kind !== 'version')
          throw new ModelUnavailableError(`Model ${model.name}: no version to download`);
        const version = choice.version;
        if (!version.spec.artifact) throw new NoArtifactError(`Version ${version.version} has no artifact`);
        if (!version.endpoint) {
          throw new ModelUnavailableError(
            `No runtime of ${model.name} ${version.version} is running to fetch the artifact`,
            {
              model_id: model.name,
              version: version.version,
              reason: version.status?.conditions?.find((c) => c.type === 'Ready')?.reason,
            },
          );
        }
        const started = performance.now();
        const deadline = Date.now() + deps.config.REQUEST_TIMEOUT_MS;
        const result = await deps.repository.reload({ model, version }, { deadline, requestId, signal });
        return {
          body: {
            model_id: model.name,
            version: version.version,
            state: result.state,
            ...(result.reason ? { reason: result.reason } : {}),
            artifact: { ...version.spec.artifact, verified: result.state === 'READY' },
            duration_ms: Math.round(performance.now() - started),
          },
        };
      },
    }),
  ];
}
