/**
 * Model management: list, details, versions, per-model metrics, and artifact re-download.
 * @module
 */
import type { z } from 'zod';
import type { CatalogModel } from '../catalog/catalog.js';
import type { AppDeps, RuntimeArtifactState } from '../deps.js';
import {
  ArtifactInvalidError,
  ModelNotFoundError,
  ModelUnavailableError,
  NoArtifactError,
  PermissionDeniedError,
  toApiError,
  UpstreamError,
} from '../errors.js';
import { audit } from '../http/audit.js';
import { type AnyRoute, type RouteContext, type RouteResult, route } from '../http/route.js';
import { mayUseModel, type Principal, requireModel } from '../http/scopes.js';
import { selectVersion } from '../routing/select-version.js';
import { performanceMetrics, type ReportQuery, reportQuery } from '../schemas/metrics.js';
import {
  type DownloadQuery,
  type DownloadRequest,
  type DownloadResponse,
  downloadQuery,
  downloadRequest,
  downloadResponse,
  modelDetails,
  modelList,
  type runtimeDownload,
  toModelDetails,
  toModelView,
  toVersionView,
  versionList,
} from '../schemas/models.js';
import { modelPerformance } from './reports.js';

/**
 * The model named `id`. A model outside the principal's allow-list is answered as unknown, so a key cannot
 * learn which models exist beyond the ones it may use.
 */
export function findModel(deps: AppDeps, id: string, principal?: Principal): CatalogModel {
  const model = deps.catalog.model(id);
  if (!model || (principal && !mayUseModel(principal, model.name)))
    throw new ModelNotFoundError(`No model named ${id}`, { model_id: id });
  return model;
}

/** The models the principal may see (every model without an allow-list). */
export function visibleModels(deps: AppDeps, principal: Principal): readonly CatalogModel[] {
  const models = deps.catalog.models();
  return principal.models === undefined ? models : models.filter((m) => mayUseModel(principal, m.name));
}

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
        const models = visibleModels(deps, principal).map(toModelView);
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
        body: toModelDetails(findModel(deps, params.model_id as string, principal)),
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
      scope: 'usage:own',
      query: reportQuery,
      responses: { 200: { description: 'PerformanceMetrics', schema: performanceMetrics } },
      handler: async ({ params, query, principal }) => {
        const model = findModel(deps, params.model_id as string, principal);
        const report = await modelPerformance(deps, model.name, query, principal);
        return { body: { model_id: model.name, ...report } };
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

/**
 * Runs a model operation and leaves one audit line with its outcome: the state it reached (READY, or
 * DOWNLOADING/LOADING when answered 202), `refused` for a model outside the key's allow-list, else FAILED
 * with the error's code.
 */
async function audited(
  ctx: RouteContext<unknown, unknown>,
  modelId: string,
  version: string | undefined,
  operation: () => Promise<RouteResult>,
): Promise<RouteResult> {
  const event = { caller: ctx.principal.caller, action: 'model.download' };
  try {
    const result = await operation();
    const body = result.body as DownloadResponse;
    audit(ctx.log, {
      ...event,
      target: `${body.model_id}/${body.version}`,
      outcome: body.state,
      details: { status: result.status ?? 200 },
    });
    return result;
  } catch (err) {
    const apiError = toApiError(err);
    audit(ctx.log, {
      ...event,
      target: version === undefined ? modelId : `${modelId}/${version}`,
      outcome: err instanceof PermissionDeniedError ? 'refused' : 'FAILED',
      details: { status: apiError.status, code: apiError.code },
    });
    throw err;
  }
}

/**
 * Starts (`trigger`) or follows a version's artifact download in its runtimes and answers with where it stands:
 * 200 READY, 202 with progress while a runtime is at work, else the failure (409 artifact_invalid for a digest
 * that does not match, 502 for other load failures, 503 when no runtime runs or answers).
 */
async function artifactAnswer(
  deps: AppDeps,
  ctx: { requestId: string; signal: AbortSignal },
  request: { modelId: string; version: string | undefined; waitSeconds: number; trigger: boolean },
): Promise<RouteResult> {
  const received = performance.now();
  const model = findModel(deps, request.modelId);
  if (model.spec.provider !== 'onnx') {
    throw new NoArtifactError(
      `Model ${model.name} is served by ${model.spec.endpoint?.baseURL}; it has no artifact`,
      { model_id: model.name },
    );
  }
  const choice = selectVersion(model, request.version);
  if (choice.kind !== 'version')
    throw new ModelUnavailableError(`Model ${model.name}: no version to download`, { model_id: model.name });
  const version = choice.version;
  const artifact = version.spec.artifact;
  if (!artifact) throw new NoArtifactError(`Version ${version.version} has no artifact`);
  const ids = { model_id: model.name, version: version.version };
  if (version.addresses.length === 0) {
    const ready = version.status?.conditions?.find((c) => c.type === 'Ready');
    throw new ModelUnavailableError(
      `No runtime of ${model.name} ${version.version} is running to fetch the artifact`,
      { ...ids, ...(ready ? { reason: ready.reason, message: ready.message } : {}) },
    );
  }
  const round = await deps.repository.artifact(
    { model, version },
    {
      trigger: request.trigger,
      waitMs: request.waitSeconds * 1000,
      signal: ctx.signal,
      requestId: ctx.requestId,
    },
  );
  const runtimes = round.runtimes.map(runtimeView);
  const statusUrl = `/api/models/${encodeURIComponent(model.name)}/download?version=${encodeURIComponent(version.version)}`;
  const busy = round.runtimes.filter((r) => r.state === 'DOWNLOADING' || r.state === 'LOADING');
  if (busy.length === 0) throwFailure(round.runtimes, runtimes, ids);
  const body: DownloadResponse = {
    ...ids,
    state:
      busy.length === 0 ? 'READY' : busy.some((r) => r.state === 'DOWNLOADING') ? 'DOWNLOADING' : 'LOADING',
    artifact: { ...artifact, verified: busy.length === 0 },
    runtimes,
    ...(round.startedAt !== undefined ? { started_at: new Date(round.startedAt).toISOString() } : {}),
    status_url: statusUrl,
    duration_ms: Math.round(performance.now() - received),
  };
  if (busy.length === 0) return { body };
  return { status: 202, body, headers: { location: statusUrl, 'retry-after': '1' } };
}

function runtimeView(r: RuntimeArtifactState): z.infer<typeof runtimeDownload> {
  const d = r.download;
  return {
    address: r.address,
    state: r.state,
    ...(r.reason ? { reason: r.reason } : {}),
    ...(r.code ? { error_code: r.code } : {}),
    serving: r.serving,
    ...(d
      ? {
          progress: {
            state: d.state,
            bytes_downloaded: d.bytesDownloaded,
            ...(d.bytesTotal > 0
              ? {
                  bytes_total: d.bytesTotal,
                  percent: Math.min(100, Math.floor((d.bytesDownloaded / d.bytesTotal) * 1000) / 10),
                }
              : {}),
          },
        }
      : {}),
  };
}

/** Every runtime is done: throws the first failure that explains the outcome, if any. */
function throwFailure(
  states: readonly RuntimeArtifactState[],
  runtimes: readonly z.infer<typeof runtimeDownload>[],
  ids: { model_id: string; version: string },
): void {
  const where = (r: RuntimeArtifactState) =>
    `${ids.model_id} ${ids.version} on runtime ${r.address}${r.serving ? ' (the previous load keeps serving)' : ''}`;
  const invalid = states.find((r) => r.state === 'FAILED' && r.code === 'ArtifactInvalid');
  if (invalid) {
    throw new ArtifactInvalidError(`The artifact of ${where(invalid)} was refused: ${invalid.reason}`, {
      ...ids,
      reason: 'ArtifactInvalid',
      runtimes,
    });
  }
  const failed = states.find((r) => r.state === 'FAILED' && r.code !== undefined);
  if (failed) {
    throw new UpstreamError(`Loading the artifact of ${where(failed)} failed: ${failed.reason}`, {
      ...ids,
      reason: failed.code,
      runtimes,
    });
  }
  const down = states.find((r) => r.state === 'FAILED' || r.state === 'UNREACHABLE');
  if (down) {
    throw new ModelUnavailableError(`The runtime of ${where(down)} is not serving: ${down.reason}`, {
      ...ids,
      runtimes,
    });
  }
}
