/**
 * The status of a ModelVersion in local mode, from what its runtime processes are doing. Pure.
 * @module
 */
import type { ModelVersion, ModelVersionStatus } from '../../../crds/src/index.js';
import { type ConditionInput, Reason, setConditions } from '../conditions.js';
import { artifactStatus } from '../status/artifact-status.js';
import type { SkippedVersion } from './desired.js';
import type { RuntimeState } from './supervisor.js';

export interface LocalVersionInput {
  readonly version: ModelVersion;
  /** The version's runtime processes (one per local replica), when it has any. */
  readonly runtimes: readonly RuntimeState[];
  /** How many processes local mode wants for the version. */
  readonly desired: number;
  /** Why the version has no runtime process, when it has none. */
  readonly skipped?: SkippedVersion;
  readonly host: string;
  readonly now: Date;
}

const all = (
  reason: Reason,
  message: string,
  ready: boolean,
  progressing: boolean,
  degraded: boolean,
): ConditionInput[] => [
  { type: 'Ready', status: ready ? 'True' : 'False', reason, message },
  {
    type: 'Progressing',
    status: progressing ? 'True' : 'False',
    reason,
    message: progressing ? message : 'Rollout complete',
  },
  {
    type: 'Degraded',
    status: degraded ? 'True' : 'False',
    reason,
    message: degraded ? message : 'Runtime healthy',
  },
];

function failureOf(runtimes: readonly RuntimeState[]): { reason: Reason; message: string } | undefined {
  const failing = runtimes.find((r) => r.phase === 'BackOff' || (r.phase !== 'Ready' && r.lastFailure));
  if (!failing) return undefined;
  const retry = failing.nextStartAt ? `; next start at ${failing.nextStartAt.toISOString()}` : '';
  return {
    reason: failing.lastFailure?.reason ?? Reason.CrashLoopBackOff,
    message: `${failing.lastFailure?.message ?? 'Runtime exited'} (restarts: ${failing.restarts}${retry})`,
  };
}

function conditionsFor(input: LocalVersionInput): ConditionInput[] {
  const { runtimes, skipped } = input;
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
  const ready = runtimes.filter((r) => r.phase === 'Ready');
  const failure = failureOf(runtimes);
  if (ready.length > 0) {
    const serving = ready.map((r) => `pid ${r.pid} serving on ${input.host}:${r.port}`).join(', ');
    const message =
      ready.length === 1 && input.desired === 1
        ? `Runtime ${serving}`
        : `Runtimes ready ${ready.length}/${input.desired}: ${serving}`;
    const complete = ready.length === input.desired;
    return all(
      Reason.RuntimeReady,
      failure ? `${message}; ${failure.message}` : message,
      true,
      !complete,
      Boolean(failure),
    );
  }
  if (failure) return all(failure.reason, failure.message, false, true, true);
  const loading = runtimes.find((r) => r.pid);
  const message = loading
    ? `Runtime pid ${loading.pid} is loading the model`
    : 'Runtime process not started yet';
  return all(Reason.RuntimeStarting, message, false, true, false);
}

/** The status local mode writes for one ModelVersion. */
export function localVersionStatus(input: LocalVersionInput): ModelVersionStatus {
  const { version, runtimes, skipped } = input;
  const ready = runtimes.filter((r) => r.phase === 'Ready' && r.port);
  const generation = version.metadata.generation;
  const desired = skipped ? 0 : input.desired;
  const status: ModelVersionStatus = {
    observedGeneration: generation,
    conditions: setConditions(version.status?.conditions, conditionsFor(input), input.now, generation),
    // Processes that exist now, ready or not (a Deployment's status.replicas counts pods the same way); one
    // waiting out a restart backoff has no process. No status.selector: local runtimes are processes, not
    // labelled pods, so there is nothing a selector could select (the router reads their addresses directly).
    replicas: runtimes.filter((r) => r.pid !== undefined).length,
    readyReplicas: ready.length,
    ready: `${ready.length}/${desired}`,
    restarts: runtimes.reduce((n, r) => n + r.restarts, 0),
  };
  const first = ready[0];
  if (first) {
    status.endpoint = `${input.host}:${first.port}`;
    status.protocol = 'oip-v2';
  }
  if (skipped?.reason === Reason.ExternalEndpoint) status.protocol = 'openai';
  const artifact = skipped
    ? undefined
    : artifactStatus(
        version,
        runtimes.map((r) => ({
          serving: r.phase === 'Ready',
          download: r.download,
          // A runtime serving again has put its failure behind it.
          failure: r.phase === 'Ready' ? undefined : r.lastFailure,
        })),
      );
  if (artifact) status.artifact = artifact;
  return status;
}
