/**
 * Rolls the ModelVersions of one AIModel up into the AIModel's status. Pure, shared by every target.
 * @module
 */
import {
  type AIModel,
  type AIModelStatus,
  effectiveSplit,
  formatSplit,
  type ModelVersion,
  resolveDefaultVersion,
} from '../../../crds/src/index.js';
import { type ConditionInput, conditionOf, isReady, Reason, setConditions } from '../conditions.js';

export interface ModelRollupInput {
  readonly model: AIModel;
  /** The ModelVersions whose spec.model names this model, with their current status. */
  readonly versions: readonly ModelVersion[];
  /** For provider openai: whether the API key can be read (env var set, Secret present). */
  readonly credentialsAvailable?: boolean;
  readonly now: Date;
}

function externalReady(input: ModelRollupInput): ConditionInput {
  const endpoint = input.model.spec.endpoint;
  if (input.credentialsAvailable === false) {
    const source = endpoint?.apiKeyEnv ? `environment variable ${endpoint.apiKeyEnv}` : 'the API key Secret';
    return {
      type: 'Ready',
      status: 'False',
      reason: Reason.CredentialsMissing,
      message: `No API key: set ${source} to serve this model`,
    };
  }
  return {
    type: 'Ready',
    status: 'True',
    reason: Reason.ExternalEndpoint,
    message: `Served by ${endpoint?.baseURL ?? 'an external endpoint'}`,
  };
}

/**
 * `v2:CrashLoopBackOff`: the version that holds the model back and why, in one REASON column. Kept within
 * metav1.Condition's reason alphabet (letters, digits, `_`, `,`, `:`; starting with a letter).
 */
export function versionReason(version: string, reason: string): `${string}:${string}` {
  const token = version.replace(/[^A-Za-z0-9_]/g, '_');
  return `${/^[A-Za-z]/.test(token) ? token : `v${token}`}:${reason}`;
}

function runtimeReady(input: ModelRollupInput, readyCount: number): ConditionInput {
  const { versions } = input;
  if (versions.length === 0) {
    return {
      type: 'Ready',
      status: 'False',
      reason: Reason.NoVersions,
      message: 'No ModelVersion names this model',
    };
  }
  const resolved = resolveDefaultVersion(versions);
  const chosen = resolved.version;
  if (!chosen) {
    return {
      type: 'Ready',
      status: 'False',
      reason: Reason.NoDefaultVersion,
      message: 'Every version is deprecated; mark one default or add a new version',
    };
  }
  if (!isReady(chosen.status?.conditions)) {
    const blocking = conditionOf(chosen.status?.conditions, 'Ready');
    return {
      type: 'Ready',
      status: 'False',
      reason: versionReason(chosen.spec.version, blocking?.reason ?? Reason.RuntimeStarting),
      message: `Default version ${chosen.spec.version} (${chosen.metadata.name}) is not ready: ${blocking?.message ?? 'no status yet'}`,
    };
  }
  return {
    type: 'Ready',
    status: 'True',
    reason: Reason.VersionsReady,
    message: `${readyCount}/${versions.length} versions ready; default ${chosen.spec.version}`,
  };
}

/**
 * `v2=90,v3=10`: the split the router follows (the one rule of crds/src/traffic.ts: versions that are Ready
 * and not deprecated share the weights); `none ready` when no version of the split can serve; undefined
 * without spec.traffic.
 */
function trafficColumn(model: AIModel, versions: readonly ModelVersion[]): string | undefined {
  const configured = model.spec.traffic;
  if (!configured) return undefined;
  const serving = new Set(
    versions.filter((v) => !v.spec.deprecated && isReady(v.status?.conditions)).map((v) => v.spec.version),
  );
  const split = effectiveSplit(configured, (version) => serving.has(version));
  return split.length > 0 ? formatSplit(split) : 'none ready';
}

/** The AIModel status for the given versions; conditions keep their transition times when unchanged. */
export function aiModelStatus(input: ModelRollupInput): AIModelStatus {
  const { model, versions } = input;
  const readyCount = versions.filter((v) => isReady(v.status?.conditions)).length;
  const resolved = resolveDefaultVersion(versions);
  // An openai model is served straight from its endpoint unless a version deploys its own server.
  const external = model.spec.provider === 'openai' && !versions.some((v) => v.spec.runtime?.image);
  const ready = external ? externalReady(input) : runtimeReady(input, readyCount);
  const progressing = versions.some(
    (v) => conditionOf(v.status?.conditions, 'Progressing')?.status === 'True',
  );
  const degradedVersion = versions.find(
    (v) => conditionOf(v.status?.conditions, 'Degraded')?.status === 'True',
  );
  const degraded: ConditionInput =
    resolved.problem === 'MultipleDefaults'
      ? {
          type: 'Degraded',
          status: 'True',
          reason: Reason.MultipleDefaults,
          message: `Several versions are marked default; serving ${resolved.version?.spec.version} (the newest)`,
        }
      : degradedVersion
        ? {
            type: 'Degraded',
            status: 'True',
            reason: versionReason(
              degradedVersion.spec.version,
              conditionOf(degradedVersion.status?.conditions, 'Degraded')?.reason ?? Reason.CrashLoopBackOff,
            ),
            message: `Version ${degradedVersion.spec.version} is degraded: ${conditionOf(degradedVersion.status?.conditions, 'Degraded')?.message ?? ''}`,
          }
        : { type: 'Degraded', status: 'False', reason: ready.reason, message: 'No version is degraded' };
  const generation = model.metadata.generation;
  return {
    observedGeneration: generation,
    conditions: setConditions(
      model.status?.conditions,
      [
        ready,
        {
          type: 'Progressing',
          status: progressing ? 'True' : 'False',
          reason: progressing ? Reason.RuntimeStarting : ready.reason,
          message: progressing ? 'A version is rolling out' : 'No version is rolling out',
        },
        degraded,
      ],
      input.now,
      generation,
    ),
    defaultVersion: resolved.version?.spec.version,
    versions: versions.length,
    readyVersions: readyCount,
    ready: `${readyCount}/${versions.length}`,
    endpoint: external ? model.spec.endpoint?.baseURL : resolved.version?.status?.endpoint,
    ...(model.spec.traffic ? { traffic: trafficColumn(model, versions) } : {}),
  };
}
