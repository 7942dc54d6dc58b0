/**
 * What should run in local mode: runtime processes for a ModelVersion of an `onnx` model, one per local
 * replica. Pure: the local target has the supervisor make it so, and a version that gets no process says why
 * (its status reason).
 * @module
 */
import { createHash } from 'node:crypto';
import { dirname, isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { AIModel, ModelVersion } from '../../../crds/src/index.js';
import { Reason } from '../conditions.js';

export interface LocalRuntimeSpec {
  /** `<ModelVersion name>/<replica>`: one process per replica. */
  readonly key: string;
  /** The ModelVersion this runtime serves. */
  readonly versionName: string;
  readonly model: string;
  readonly version: string;
  /** Environment of the runtime process (the runtime's config contract, runtime/src/config.ts). */
  readonly env: Readonly<Record<string, string>>;
  /** Changes whenever the process must be restarted to pick up a new spec. */
  readonly hash: string;
}

export interface SkippedVersion {
  readonly key: string;
  readonly reason: Reason;
  readonly message: string;
}

/** Where a version's runtimes get their manifest path and address from. */
export interface VersionContext {
  /** Absolute path of the manifest each object came from, keyed `Kind/name`. */
  readonly sources: ReadonlyMap<string, string>;
  readonly host: string;
  /** Local mode runs min(spec.replicas, this) processes per version. */
  readonly maxReplicas?: number;
}

/**
 * `file:///abs` stays as is; `file:relative/dir` (not a standard URI, accepted in local manifests) resolves
 * against the manifest's folder; other schemes pass through for the runtime to fetch.
 */
export function resolveArtifactUri(uri: string, manifestPath: string | undefined): string {
  if (!uri.startsWith('file:') || uri.startsWith('file://')) return uri;
  const path = uri.slice('file:'.length);
  if (isAbsolute(path)) return pathToFileURL(path).href;
  return pathToFileURL(resolve(manifestPath ? dirname(manifestPath) : process.cwd(), path)).href;
}

/** The processes one version should run, or why it runs none. */
export function desiredLocalVersion(
  mv: ModelVersion,
  model: AIModel | undefined,
  input: VersionContext,
): LocalRuntimeSpec[] | SkippedVersion {
  const key = mv.metadata.name;
  if (!model) {
    return { key, reason: Reason.ModelNotFound, message: `AIModel ${mv.spec.model} does not exist` };
  }
  if (model.spec.provider !== 'onnx') {
    return { key, reason: Reason.ExternalEndpoint, message: `Served by ${model.spec.endpoint?.baseURL}` };
  }
  if (mv.spec.replicas === 0) return { key, reason: Reason.ScaledToZero, message: 'replicas is 0' };
  if (!mv.spec.artifact) {
    return { key, reason: Reason.ArtifactInvalid, message: 'onnx versions need spec.artifact.uri' };
  }
  const env: Record<string, string> = {
    MODEL_NAME: mv.spec.model,
    MODEL_VERSION: mv.spec.version,
    MODEL_ARTIFACT_URI: resolveArtifactUri(mv.spec.artifact.uri, input.sources.get(`ModelVersion/${key}`)),
    MODEL_CONFIGURATION: JSON.stringify(mv.spec.configuration ?? {}),
    GRPC_HOST: input.host,
    GRPC_PORT: '0',
    // Several runtimes share this machine: each binds a free metrics port and reports it over IPC.
    METRICS_HOST: input.host,
    METRICS_PORT: '0',
    // The router in this process drops a stopping runtime's address at once: no need to keep serving.
    DRAIN_DELAY_SECONDS: '0',
  };
  if (mv.spec.artifact.sha256) env.MODEL_ARTIFACT_SHA256 = mv.spec.artifact.sha256;
  const hash = createHash('sha256').update(JSON.stringify(env)).digest('hex').slice(0, 16);
  const count = Math.min(mv.spec.replicas, input.maxReplicas ?? 1);
  return Array.from({ length: count }, (_, i) => ({
    key: `${key}/${i}`,
    versionName: key,
    model: mv.spec.model,
    version: mv.spec.version,
    env,
    hash,
  }));
}
