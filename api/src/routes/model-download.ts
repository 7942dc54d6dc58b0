/**
 * Artifact downloads: re-fetch, verify and reload a version's artifact in its runtimes (or follow one), with
 * progress per runtime, and one audit line per operation.
 * @module
 */
import type { z } from 'zod';
import type { AppDeps, RuntimeArtifactState } from '../deps.js';
import {
  ArtifactInvalidError,
  ModelUnavailableError,
  NoArtifactError,
  PermissionDeniedError,
  toApiError,
  UpstreamError,
} from '../errors.js';
import { audit } from '../http/audit.js';
import type { RouteContext, RouteResult } from '../http/route.js';
import { selectVersion } from '../routing/select-version.js';
import type { DownloadResponse, runtimeDownload } from '../schemas/models.js';
import { findModel } from './model-lookup.js';

/**
 * Runs a model operation and leaves one audit line with its outcome: the state it reached (READY, or
 * DOWNLOADING/LOADING when answered 202), `refused` for a model outside the key's allow-list, else FAILED
 * with the error's code.
 */
export async function audited(
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
export async function artifactAnswer(
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
