/**
 * The status of a ModelVersion in local mode, from what its runtime process is doing. Pure.
 * @module
 */
import type { ModelVersion, ModelVersionStatus } from '../../../crds/src/index.js';
import { type ConditionInput, Reason, setConditions } from '../conditions.js';
import type { SkippedVersion } from './desired.js';
import type { RuntimeState } from './supervisor.js';

export interface LocalVersionInput {
  readonly version: ModelVersion;
  /** The runtime process, when the version has one. */
  readonly runtime?: RuntimeState;
  /** Why the version has no runtime process, when it has none. */
  readonly skipped?: SkippedVersion;
  readonly host: string;
  readonly now: Date;
}

function conditionsFor(input: LocalVersionInput): ConditionInput[] {
  const { runtime, skipped } = input;
  if (skipped) {
    const ok = skipped.reason === Reason.ExternalEndpoint;
    const idle = skipped.reason === Reason.ScaledToZero;
    return [
      { type: 'Ready', status: ok ? 'True' : 'False', reason: skipped.reason, message: skipped.message },
      { type: 'Progressing', status: 'False', reason: skipped.reason, message: skipped.message },
      {
        type: 'Degraded',
        status: ok || idle ? 'False' : 'True',
        reason: skipped.reason,
        message: skipped.message,
      },
    ];
  }
  if (!runtime) {
    const message = 'Runtime process not started yet';
    return [
      { type: 'Ready', status: 'False', reason: Reason.RuntimeStarting, message },
      { type: 'Progressing', status: 'True', reason: Reason.RuntimeStarting, message },
      { type: 'Degraded', status: 'False', reason: Reason.RuntimeStarting, message },
    ];
  }
  if (runtime.phase === 'Ready') {
    const message = `Runtime pid ${runtime.pid} serving on ${input.host}:${runtime.port}`;
    return [
      { type: 'Ready', status: 'True', reason: Reason.RuntimeReady, message },
      { type: 'Progressing', status: 'False', reason: Reason.RuntimeReady, message: 'Rollout complete' },
      { type: 'Degraded', status: 'False', reason: Reason.RuntimeReady, message: 'Runtime healthy' },
    ];
  }
  const failure = runtime.lastFailure;
  if (runtime.phase === 'BackOff' || failure) {
    const reason = failure?.reason ?? Reason.CrashLoopBackOff;
    const retry = runtime.nextStartAt ? `; next start at ${runtime.nextStartAt.toISOString()}` : '';
    const message = `${failure?.message ?? 'Runtime exited'} (restarts: ${runtime.restarts}${retry})`;
    return [
      { type: 'Ready', status: 'False', reason, message },
      { type: 'Progressing', status: 'True', reason, message },
      { type: 'Degraded', status: 'True', reason, message },
    ];
  }
  const message = `Runtime pid ${runtime.pid} is loading the model`;
  return [
    { type: 'Ready', status: 'False', reason: Reason.RuntimeStarting, message },
    { type: 'Progressing', status: 'True', reason: Reason.RuntimeStarting, message },
    { type: 'Degraded', status: 'False', reason: Reason.RuntimeStarting, message },
  ];
}

/** The status local mode writes for one ModelVersion. */
export function localVersionStatus(input: LocalVersionInput): ModelVersionStatus {
  const { version, runtime, skipped } = input;
  const desired = skipped ? 0 : version.spec.replicas;
  const readyReplicas = runtime?.phase === 'Ready' ? 1 : 0;
  const generation = version.metadata.generation;
  const external = skipped?.reason === Reason.ExternalEndpoint;
  const status: ModelVersionStatus = {
    observedGeneration: generation,
    conditions: setConditions(version.status?.conditions, conditionsFor(input), input.now, generation),
    // Local mode runs one process per version whatever spec.replicas says.
    replicas: Math.min(desired, 1),
    readyReplicas,
    ready: `${readyReplicas}/${Math.min(desired, 1)}`,
    restarts: runtime?.restarts ?? 0,
  };
  if (runtime?.phase === 'Ready' && runtime.port) {
    status.endpoint = `${input.host}:${runtime.port}`;
    status.protocol = 'oip-v2';
  }
  if (external) status.protocol = 'openai';
  return status;
}
