/**
 * Every failure mode of the operator in one table: its code, whether trying again without any change may
 * succeed (the work queue backs off and retries those; the others wait for the object to change or the
 * next resync), and the condition reason a ModelVersion shows while it stands. The operator's own API
 * calls fail with the first group; runtimes report the second group by exit code (runtime/src/lifecycle.ts)
 * or by the `<code>: ` prefix of their termination message, and the kubelet or the local supervisor
 * restarts them either way.
 * @module
 */
import { KubeApiError } from '../../kube/src/client.js';
import { Reason } from './conditions.js';

interface FailureRow {
  readonly retryable: boolean;
  readonly reason: Reason;
  /** The runtime's exit code for this failure, when a runtime reports it. */
  readonly exitCode?: number;
}

export const FAILURES = {
  /** 409: another field manager owns a field we set, or the object changed under us. */
  ApplyConflict: { retryable: true, reason: Reason.ApplyFailed },
  /** 5xx, 429, a refused, reset or timed-out connection: the API server is down, overloaded or restarting. */
  ApiServerUnavailable: { retryable: true, reason: Reason.ApplyFailed },
  /** 400 or 422: the API server refused an object derived from the spec; only a spec change helps. */
  InvalidSpec: { retryable: false, reason: Reason.ApplyFailed },
  /** 401 or 403: the operator's service account lacks a permission (the chart's RBAC); fix RBAC, then resync. */
  Forbidden: { retryable: false, reason: Reason.ApplyFailed },
  /** Anything else the API answered (404 on a namespace being deleted...): retried, as every failure was. */
  Unexpected: { retryable: true, reason: Reason.ApplyFailed },
  /** The operator's own configuration or environment is invalid: the process exits at start-up. */
  ConfigInvalid: { retryable: false, reason: Reason.ConfigInvalid, exitCode: 2 },
  ArtifactInvalid: { retryable: false, reason: Reason.ArtifactInvalid, exitCode: 3 },
  ModelLoadFailed: { retryable: false, reason: Reason.ModelLoadFailed, exitCode: 4 },
  ArtifactUnavailable: { retryable: true, reason: Reason.ArtifactUnavailable, exitCode: 5 },
  GPUUnavailable: { retryable: false, reason: Reason.GPUUnavailable, exitCode: 6 },
} as const satisfies Record<string, FailureRow>;

export type FailureCode = keyof typeof FAILURES;

/** Base class of the operator's errors: the code picks the row of FAILURES. */
export abstract class OperatorError extends Error {
  abstract readonly code: FailureCode;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }

  get retryable(): boolean {
    return FAILURES[this.code].retryable;
  }

  get reason(): Reason {
    return FAILURES[this.code].reason;
  }
}

export class ApplyConflictError extends OperatorError {
  readonly code = 'ApplyConflict';
}
export class ApiServerUnavailableError extends OperatorError {
  readonly code = 'ApiServerUnavailable';
}
export class InvalidSpecError extends OperatorError {
  readonly code = 'InvalidSpec';
}
export class ForbiddenError extends OperatorError {
  readonly code = 'Forbidden';
}
export class UnexpectedError extends OperatorError {
  readonly code = 'Unexpected';
}
export class ConfigInvalidError extends OperatorError {
  readonly code = 'ConfigInvalid';
}
export class ArtifactInvalidError extends OperatorError {
  readonly code = 'ArtifactInvalid';
}
export class ModelLoadFailedError extends OperatorError {
  readonly code = 'ModelLoadFailed';
}
export class ArtifactUnavailableError extends OperatorError {
  readonly code = 'ArtifactUnavailable';
}
export class GPUUnavailableError extends OperatorError {
  readonly code = 'GPUUnavailable';
}

const CONNECTION_FAILURE = /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|EPIPE|socket hang up|timed out/;

/** Classifies a failed Kubernetes API call (or anything thrown while applying) as an OperatorError. */
export function toOperatorError(err: unknown): OperatorError {
  if (err instanceof OperatorError) return err;
  if (err instanceof KubeApiError) {
    const s = err.status;
    if (s === 409) return new ApplyConflictError(err.message, { cause: err });
    if (s === 400 || s === 422) return new InvalidSpecError(err.message, { cause: err });
    if (s === 401 || s === 403) return new ForbiddenError(err.message, { cause: err });
    if (s === 429 || s >= 500) return new ApiServerUnavailableError(err.message, { cause: err });
    return new UnexpectedError(err.message, { cause: err });
  }
  const text = err instanceof Error ? `${(err as NodeJS.ErrnoException).code ?? ''} ${err.message}` : '';
  if (CONNECTION_FAILURE.test(text)) {
    return new ApiServerUnavailableError((err as Error).message, { cause: err });
  }
  return new UnexpectedError(err instanceof Error ? err.message : String(err), { cause: err });
}

/** For the work queue: back off and retry, or wait for the object to change. */
export const isRetryable = (err: unknown): boolean => toOperatorError(err).retryable;

const RUNTIME_CODES = (Object.entries(FAILURES) as [FailureCode, FailureRow][]).filter(
  ([, row]) => row.exitCode !== undefined,
);

/**
 * The failure a runtime reported: by the `<code>: ` prefix of its message when it wrote one (the
 * termination message, the IPC `failed` message), else by its exit code; undefined for an exit that names
 * none (a crash).
 */
export function runtimeFailureReason(exitCode: number | null, message = ''): Reason | undefined {
  const named = RUNTIME_CODES.find(([code]) => message.trim().startsWith(`${code}:`));
  const byExit = RUNTIME_CODES.find(([, row]) => row.exitCode === exitCode);
  return (named ?? byExit)?.[1].reason;
}
