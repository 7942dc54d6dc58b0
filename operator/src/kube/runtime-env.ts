/**
 * The environment of a runtime container: the runtime's config contract (runtime/src/config.ts) filled from the
 * ModelVersion and the operator config. S3 credentials are references to a Secret (`valueFrom.secretKeyRef`),
 * never values: the Deployment carries the Secret's name and keys, not its contents. Pure.
 * @module
 */
import type { V1EnvVar } from '@kubernetes/client-node';
import { type ModelVersion, S3_SECRET_KEYS } from '../../../crds/src/index.js';
import { MODEL_CACHE_PATH } from './model-cache.js';
import type { OperatorConfig } from './operator-config.js';

export interface RuntimeEnvInput {
  readonly grpcPort: number;
  readonly metricsPort: number;
  /** MODEL_CACHE_MAX_BYTES, when the cache has a known size. */
  readonly cacheMaxBytes?: string;
}

function s3Env(mv: ModelVersion, config: OperatorConfig): V1EnvVar[] {
  if (!mv.spec.artifact?.uri.startsWith('s3://')) return [];
  const env: V1EnvVar[] = [];
  const { endpoint, region, forcePathStyle } = config.s3 ?? {};
  if (endpoint) env.push({ name: 'S3_ENDPOINT', value: endpoint });
  if (region) env.push({ name: 'AWS_REGION', value: region });
  if (forcePathStyle !== undefined) env.push({ name: 'S3_FORCE_PATH_STYLE', value: String(forcePathStyle) });
  const ref = mv.spec.artifact.credentialsSecret ?? config.artifactCredentialsSecret;
  if (ref) {
    const fromSecret = (name: string, key: string, optional = false): V1EnvVar => ({
      name,
      valueFrom: { secretKeyRef: { name: ref.name, key, ...(optional ? { optional: true } : {}) } },
    });
    env.push(
      fromSecret('AWS_ACCESS_KEY_ID', ref.accessKeyIdKey ?? S3_SECRET_KEYS.accessKeyId),
      fromSecret('AWS_SECRET_ACCESS_KEY', ref.secretAccessKeyKey ?? S3_SECRET_KEYS.secretAccessKey),
      // Temporary credentials carry a token; long-lived keys have none, so the key may be absent.
      fromSecret('AWS_SESSION_TOKEN', ref.sessionTokenKey ?? S3_SECRET_KEYS.sessionToken, true),
    );
  }
  return env;
}

/**
 * The runtime's variables, then `spec.runtime.env`: a name the version sets itself replaces ours (server-side
 * apply refuses a list with one name twice).
 */
export function runtimeEnv(mv: ModelVersion, config: OperatorConfig, input: RuntimeEnvInput): V1EnvVar[] {
  const env: V1EnvVar[] = [
    { name: 'MODEL_NAME', value: mv.spec.model },
    { name: 'MODEL_VERSION', value: mv.spec.version },
    { name: 'MODEL_ARTIFACT_URI', value: mv.spec.artifact?.uri ?? '' },
  ];
  if (mv.spec.artifact?.sha256) env.push({ name: 'MODEL_ARTIFACT_SHA256', value: mv.spec.artifact.sha256 });
  env.push(
    { name: 'MODEL_CONFIGURATION', value: JSON.stringify(mv.spec.configuration ?? {}) },
    { name: 'GRPC_HOST', value: '0.0.0.0' },
    { name: 'GRPC_PORT', value: String(input.grpcPort) },
    { name: 'METRICS_PORT', value: String(input.metricsPort) },
    { name: 'MODEL_CACHE_DIR', value: MODEL_CACHE_PATH },
  );
  // A pod holding a GPU must use it: `cuda` makes a runtime without the CUDA provider exit GPUUnavailable
  // instead of serving on the CPU (`auto`, the runtime's default, would fall back).
  if (mv.spec.resources?.gpu) env.push({ name: 'EXECUTION_PROVIDER', value: 'cuda' });
  if (input.cacheMaxBytes) env.push({ name: 'MODEL_CACHE_MAX_BYTES', value: input.cacheMaxBytes });
  env.push(
    { name: 'DRAIN_DELAY_SECONDS', value: String(config.drainDelaySeconds) },
    { name: 'DRAIN_GRACE_SECONDS', value: String(config.drainGraceSeconds) },
    ...s3Env(mv, config),
  );
  const own = mv.spec.runtime?.env ?? [];
  const overridden = new Set(own.map((e) => e.name));
  return [...env.filter((e) => !overridden.has(e.name)), ...own];
}

/** The plain values of an env list (what a drain or budget computation reads). */
export function plainValues(env: readonly V1EnvVar[]): Record<string, string | undefined> {
  return Object.fromEntries(env.map((e) => [e.name, e.value]));
}
