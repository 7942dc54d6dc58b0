/**
 * Reads what is wrong with a runtime's pods from their status, the way a person would with
 * `kubectl describe pod`: unschedulable, image pull failures, crash loops, and the runtime's own exit
 * reason (its termination message and exit code). Pure.
 * @module
 */
import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { Reason } from '../conditions.js';
import { runtimeFailureReason } from '../errors.js';

export interface PodProblem {
  readonly reason: Reason;
  readonly message: string;
  readonly pod: string;
}

/** Worst first: what the person should fix before anything else. */
const SEVERITY: readonly Reason[] = [
  Reason.ArtifactInvalid,
  Reason.ConfigInvalid,
  Reason.ModelLoadFailed,
  Reason.GPUUnavailable,
  Reason.CredentialsMissing,
  Reason.ArtifactUnavailable,
  Reason.ImagePullBackOff,
  Reason.CrashLoopBackOff,
  Reason.Unschedulable,
];

const IMAGE_PULL = new Set(['ImagePullBackOff', 'ErrImagePull', 'InvalidImageName', 'ErrImageNeverPull']);

function terminatedProblem(status: V1ContainerStatus, pod: string): PodProblem | undefined {
  const terminated = status.lastState?.terminated ?? status.state?.terminated;
  if (!terminated || terminated.exitCode === 0) return undefined;
  const text = (terminated.message ?? '').trim();
  const reason = runtimeFailureReason(terminated.exitCode, text) ?? Reason.CrashLoopBackOff;
  const detail = text || terminated.reason || 'no message';
  return { reason, message: `${pod}: exited with code ${terminated.exitCode}: ${detail}`, pod };
}

function containerProblem(status: V1ContainerStatus, pod: string): PodProblem | undefined {
  const waiting = status.state?.waiting;
  if (waiting?.reason && IMAGE_PULL.has(waiting.reason)) {
    return {
      reason: Reason.ImagePullBackOff,
      message: `${pod}: ${waiting.reason}: ${waiting.message ?? ''}`.trim(),
      pod,
    };
  }
  // The kubelet cannot build the container's environment: most often a Secret (S3 credentials) or a key in it
  // is missing, e.g. `secret "s3-credentials" not found`.
  if (waiting?.reason === 'CreateContainerConfigError') {
    const message = waiting.message ?? '';
    return {
      reason: /secret/i.test(message) ? Reason.CredentialsMissing : Reason.ConfigInvalid,
      message: `${pod}: ${waiting.reason}: ${message}`.trim(),
      pod,
    };
  }
  if (waiting?.reason === 'CrashLoopBackOff' || status.state?.terminated || (status.restartCount ?? 0) > 0) {
    return terminatedProblem(status, pod);
  }
  return undefined;
}

/** What is wrong with one pod, if anything. */
export function podProblem(pod: V1Pod): PodProblem | undefined {
  const name = pod.metadata?.name ?? 'pod';
  if (pod.metadata?.deletionTimestamp) return undefined;
  const scheduled = pod.status?.conditions?.find((c) => c.type === 'PodScheduled');
  if (scheduled?.status === 'False' && scheduled.reason === 'Unschedulable') {
    return {
      reason: Reason.Unschedulable,
      message: `${name}: ${scheduled.message ?? 'no node fits'}`,
      pod: name,
    };
  }
  for (const status of pod.status?.containerStatuses ?? []) {
    const problem = containerProblem(status, name);
    if (problem) return problem;
  }
  return undefined;
}

/** The most severe problem across the pods, if any. */
export function worstPodProblem(pods: readonly V1Pod[]): PodProblem | undefined {
  const problems = pods.map(podProblem).filter((p): p is PodProblem => p !== undefined);
  return problems.sort((a, b) => SEVERITY.indexOf(a.reason) - SEVERITY.indexOf(b.reason))[0];
}
