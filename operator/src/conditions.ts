/**
 * Condition types and reasons the operator writes, and the pure helper that updates a condition list.
 * Reasons are CamelCase and say what a person can act on; they surface in `kubectl get` REASON columns.
 * @module
 */
import type { Condition, ConditionType } from '../../crds/src/index.js';

export const Reason = {
  /** Every desired replica is ready and answering. */
  RuntimeReady: 'RuntimeReady',
  /** Replicas are being created or the model is loading. */
  RuntimeStarting: 'RuntimeStarting',
  /** Fewer replicas are ready than desired. */
  MinimumReplicasUnavailable: 'MinimumReplicasUnavailable',
  /** The artifact failed to download or verify (sha256 mismatch, missing files, bad URI). */
  ArtifactInvalid: 'ArtifactInvalid',
  /**
   * The artifact store could not be reached or kept failing after every retry, or a file:// directory does not
   * exist (runtime exit code 5). Unlike ArtifactInvalid nothing need be wrong with the spec: the runtime is
   * restarted and fetches again.
   */
  ArtifactUnavailable: 'ArtifactUnavailable',
  /** The runtime rejected its configuration (ModelVersion spec.configuration or the operator's settings). */
  ConfigInvalid: 'ConfigInvalid',
  /** The model files are valid but the runtime could not load them. */
  ModelLoadFailed: 'ModelLoadFailed',
  /**
   * The version holds a GPU but the runtime could not get onnxruntime's CUDA execution provider (a CPU image,
   * no driver, no device) and refused to run on the CPU (runtime exit code 6).
   */
  GPUUnavailable: 'GPUUnavailable',
  /** The runtime keeps exiting and is being restarted with backoff. */
  CrashLoopBackOff: 'CrashLoopBackOff',
  /** The version asks for a GPU type the operator has no profile for. */
  UnknownGPUProfile: 'UnknownGPUProfile',
  /** The Deployment did not finish rolling out within its progress deadline. */
  ProgressDeadlineExceeded: 'ProgressDeadlineExceeded',
  /** No node fits the pods (e.g. not enough nvidia.com/gpu). */
  Unschedulable: 'Unschedulable',
  ImagePullBackOff: 'ImagePullBackOff',
  /** Local mode was started without runtime processes (LOCAL_RUNTIMES=false). */
  RuntimesDisabled: 'RuntimesDisabled',
  /** replicas is 0. */
  ScaledToZero: 'ScaledToZero',
  /** The AIModel the version names does not exist. */
  ModelNotFound: 'ModelNotFound',
  /** The version serves through an external endpoint and needs no runtime. */
  ExternalEndpoint: 'ExternalEndpoint',
  /** The API key for an external endpoint is missing, or a Secret the runtime needs (S3 credentials) is. */
  CredentialsMissing: 'CredentialsMissing',
  /** Several versions of one model claim `default: true`. */
  MultipleDefaults: 'MultipleDefaults',
  /** The model has no version marked default and no non-deprecated version to fall back on. */
  NoDefaultVersion: 'NoDefaultVersion',
  /** At least one version of the model is ready. */
  VersionsReady: 'VersionsReady',
  /** The default version is not ready (the message names it). */
  DefaultVersionNotReady: 'DefaultVersionNotReady',
  /** The model has no ModelVersions. */
  NoVersions: 'NoVersions',
  /** Applying the desired objects failed. */
  ApplyFailed: 'ApplyFailed',
} as const;
export type Reason = (typeof Reason)[keyof typeof Reason];

export interface ConditionInput {
  type: ConditionType;
  status: 'True' | 'False' | 'Unknown';
  /** A Reason, or a composite such as `v2:Unschedulable` (see versionReason). */
  reason: Reason | `${string}:${string}`;
  message: string;
}

/**
 * Returns `conditions` with `next` set. `lastTransitionTime` moves only when the status flips, so a
 * reconcile that changes nothing writes identical status (and the API server sees no change).
 */
export function setCondition(
  conditions: readonly Condition[] | undefined,
  next: ConditionInput,
  now: Date,
  observedGeneration?: number,
): Condition[] {
  const list = [...(conditions ?? [])];
  const index = list.findIndex((c) => c.type === next.type);
  const previous = index >= 0 ? list[index] : undefined;
  const lastTransitionTime =
    previous && previous.status === next.status ? previous.lastTransitionTime : now.toISOString();
  const condition: Condition = {
    ...next,
    lastTransitionTime,
    ...(observedGeneration === undefined ? {} : { observedGeneration }),
  };
  if (index >= 0) list[index] = condition;
  else list.push(condition);
  return list;
}

/** Sets several conditions at once (in order). */
export function setConditions(
  conditions: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  now: Date,
  observedGeneration?: number,
): Condition[] {
  return next.reduce<Condition[]>(
    (list, c) => setCondition(list, c, now, observedGeneration),
    [...(conditions ?? [])],
  );
}

export function conditionOf(
  conditions: readonly Condition[] | undefined,
  type: ConditionType,
): Condition | undefined {
  return conditions?.find((c) => c.type === type);
}

export function isReady(conditions: readonly Condition[] | undefined): boolean {
  return conditionOf(conditions, 'Ready')?.status === 'True';
}
