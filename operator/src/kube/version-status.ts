/**
 * The status of a ModelVersion in a cluster, from its Deployment and pods. Pure: the controller passes
 * what the informers hold.
 * @module
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import type { ModelVersion, ModelVersionStatus } from '../../../crds/src/index.js';
import type { DownloadStatus } from '../../../runtime/src/model-store/progress.js';
import { type ConditionInput, Reason, setConditions } from '../conditions.js';
import { artifactStatus } from '../status/artifact-status.js';
import { scaleStatus } from '../status/scale-status.js';
import type { DesiredVersion } from './desired.js';
import { podProblem, worstPodProblem } from './pod-problems.js';

export interface ClusterVersionInput {
  readonly version: ModelVersion;
  readonly desired: DesiredVersion;
  readonly deployment?: V1Deployment;
  readonly pods: readonly V1Pod[];
  /** What the download prober last heard from pod `namespace/name` (running but not ready pods only). */
  readonly downloads?: (podKey: string) => DownloadStatus | undefined;
  readonly now: Date;
}

const podReady = (pod: V1Pod): boolean =>
  pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;

/** status.artifact from the pods: their probed fetches, their artifact failures, whether they serve. */
function podsArtifact(input: ClusterVersionInput) {
  const live = input.pods.filter((p) => !p.metadata?.deletionTimestamp);
  return artifactStatus(
    input.version,
    live.map((pod) => {
      const serving = podReady(pod);
      const key = `${pod.metadata?.namespace}/${pod.metadata?.name}`;
      return {
        serving,
        download: serving ? undefined : input.downloads?.(key),
        failure: serving ? undefined : podProblem(pod),
      };
    }),
  );
}

const triple = (
  ready: ConditionInput,
  progressing: boolean,
  degraded?: { reason: Reason; message: string },
): ConditionInput[] => [
  ready,
  {
    type: 'Progressing',
    status: progressing ? 'True' : 'False',
    reason: progressing ? ready.reason : Reason.RuntimeReady,
    message: progressing ? ready.message : 'Rollout complete',
  },
  degraded
    ? { type: 'Degraded', status: 'True', reason: degraded.reason, message: degraded.message }
    : { type: 'Degraded', status: 'False', reason: ready.reason, message: 'No runtime problem' },
];

function rolloutDone(deployment: V1Deployment, desired: number): boolean {
  const s = deployment.status ?? {};
  return (
    (s.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 0) &&
    (s.updatedReplicas ?? 0) === desired &&
    (s.readyReplicas ?? 0) === desired &&
    (s.replicas ?? 0) === desired
  );
}

function servedConditions(input: ClusterVersionInput, desiredReplicas: number): ConditionInput[] {
  const { deployment, pods } = input;
  if (!deployment) {
    return triple(
      { type: 'Ready', status: 'False', reason: Reason.RuntimeStarting, message: 'Creating the Deployment' },
      true,
    );
  }
  if (desiredReplicas === 0) {
    return triple(
      { type: 'Ready', status: 'False', reason: Reason.ScaledToZero, message: 'replicas is 0' },
      false,
    );
  }
  const ready = deployment.status?.readyReplicas ?? 0;
  const available = deployment.status?.conditions?.find((c) => c.type === 'Available')?.status === 'True';
  const stalled = deployment.status?.conditions?.find(
    (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
  );
  const problem = worstPodProblem(pods);
  const done = rolloutDone(deployment, desiredReplicas);
  const counts = `${ready}/${desiredReplicas} replicas ready`;
  if (available && ready > 0) {
    const message = problem ? `${counts}; ${problem.message}` : counts;
    return triple({ type: 'Ready', status: 'True', reason: Reason.RuntimeReady, message }, !done, problem);
  }
  const cause = problem ??
    (stalled
      ? { reason: Reason.ProgressDeadlineExceeded, message: stalled.message ?? 'Rollout stalled' }
      : undefined) ?? {
      // Nothing ready yet and nothing wrong: still starting. Some ready but fewer than the minimum: a real shortfall.
      reason: ready === 0 ? Reason.RuntimeStarting : Reason.MinimumReplicasUnavailable,
      message: `${counts}; waiting for pods to become ready`,
    };
  return triple(
    { type: 'Ready', status: 'False', reason: cause.reason, message: cause.message },
    true,
    problem ?? undefined,
  );
}

export function clusterVersionStatus(input: ClusterVersionInput): ModelVersionStatus {
  const { version, desired, deployment, now } = input;
  const generation = version.metadata.generation;
  if (desired.kind === 'none') {
    const ready = {
      type: 'Ready',
      status: desired.problem ? 'False' : 'True',
      reason: desired.reason,
      message: desired.message,
    } as const;
    return {
      observedGeneration: generation,
      conditions: setConditions(
        version.status?.conditions,
        triple(ready, false, desired.problem ? desired : undefined),
        now,
        generation,
      ),
      // No Deployment: nothing to scale, yet /scale still answers (an HPA aimed here reads 0 pods).
      ...scaleStatus(version, undefined),
      readyReplicas: 0,
      ready: '0/0',
      ...(desired.reason === Reason.ExternalEndpoint ? { protocol: 'openai' as const } : {}),
    };
  }
  const desiredReplicas = version.spec.replicas;
  const readyReplicas = deployment?.status?.readyReplicas ?? 0;
  const conditions = servedConditions(input, desiredReplicas);
  const restarts = input.pods.reduce(
    (n, p) => n + (p.status?.containerStatuses ?? []).reduce((m, c) => m + (c.restartCount ?? 0), 0),
    0,
  );
  const artifact = desired.protocol === 'oip-v2' ? podsArtifact(input) : undefined;
  return {
    observedGeneration: generation,
    conditions: setConditions(version.status?.conditions, conditions, now, generation),
    ...scaleStatus(version, deployment),
    readyReplicas,
    ready: `${readyReplicas}/${desiredReplicas}`,
    endpoint: desired.endpoint,
    protocol: desired.protocol,
    restarts,
    ...(artifact ? { artifact } : {}),
  };
}
