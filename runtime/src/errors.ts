/**
 * Every failure mode of the runtime, with its code, whether a caller may retry, and its gRPC status.
 *
 * The server turns any thrown error into a gRPC status through {@link toGrpcStatus}, so the mapping lives
 * here and nowhere else. Status details read `<code>: <message>` (e.g. `ArtifactInvalid: digest mismatch ...`)
 * so that a caller, a log line and a Kubernetes termination message all carry the same machine-readable prefix.
 * @module
 */
import { status } from '@grpc/grpc-js';

/** Base class of the runtime's own errors. */
export abstract class RuntimeError extends Error {
  /** Stable machine-readable code, also the prefix of the gRPC status details. */
  abstract readonly code: string;
  /** The gRPC status a server answers with. */
  abstract readonly grpcStatus: status;
  /** Whether the same request may succeed when tried again (here or on another replica). */
  abstract readonly retryable: boolean;

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** Thrown at start-up when an environment variable is missing or malformed; never sent over gRPC. */
export class ConfigError extends RuntimeError {
  readonly code = 'ConfigInvalid';
  readonly grpcStatus = status.FAILED_PRECONDITION;
  readonly retryable = false;
  constructor(readonly issues: readonly string[]) {
    super(`invalid runtime configuration: ${issues.join('; ')}`);
  }
}

/**
 * Thrown when the model artifact cannot be used as it stands: an unsupported or malformed URI, a missing
 * file (no usable ONNX graph, or none of the configured dtype), or a sha256 that does not match. Retrying
 * cannot help until the artifact changes.
 */
export class ArtifactInvalidError extends RuntimeError {
  readonly code = 'ArtifactInvalid';
  readonly grpcStatus = status.FAILED_PRECONDITION;
  readonly retryable = false;
  constructor(
    readonly uri: string,
    detail: string,
  ) {
    super(detail);
  }
}

/**
 * Thrown when the artifact could not be fetched although it may well be fine: the store kept failing or
 * stalling after every retry, or a file:// directory does not exist (a volume not mounted yet). Another try
 * later (or on another node) may succeed.
 */
export class ArtifactUnavailableError extends RuntimeError {
  readonly code = 'ArtifactUnavailable';
  readonly grpcStatus = status.UNAVAILABLE;
  readonly retryable = true;
  constructor(
    readonly uri: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super(detail, options);
  }
}

/** Thrown when the served model's queue is full: overload becomes a fast, retryable refusal, not latency. */
export class QueueFullError extends RuntimeError {
  readonly code = 'QueueFull';
  readonly grpcStatus = status.RESOURCE_EXHAUSTED;
  readonly retryable = true;
  constructor(
    readonly waiting: number,
    readonly limit: number,
    rows: number,
  ) {
    super(
      `the model's queue is full: ${waiting} rows wait and this request adds ${rows} (MAX_QUEUE_SIZE=${limit}); retry later or on another replica`,
    );
  }
}

/**
 * Thrown when one request alone has more rows (texts, or prompts x n sequences) than the queue holds: it could
 * never be queued, even on an idle replica, so unlike QueueFullError it is not worth a retry.
 */
export class RequestTooLargeError extends RuntimeError {
  readonly code = 'RequestTooLarge';
  readonly grpcStatus = status.INVALID_ARGUMENT;
  readonly retryable = false;
  constructor(
    readonly rows: number,
    readonly limit: number,
    what = `${rows} rows`,
  ) {
    super(`${what} exceed MAX_QUEUE_SIZE ${limit}; send fewer per request`);
  }
}

/** Thrown when a verified artifact still cannot be turned into a working model (bad graph, bad config.json). */
export class ModelLoadFailedError extends RuntimeError {
  readonly code = 'ModelLoadFailed';
  readonly grpcStatus = status.INTERNAL;
  readonly retryable = false;
}

/**
 * Thrown at start-up when the configuration asks for CUDA (EXECUTION_PROVIDER=cuda, which the operator sets for
 * a version holding a GPU) and onnxruntime cannot get the CUDA execution provider: the CPU build, no driver,
 * no device. Refused rather than served on the CPU, so a GPU is never held by a process that does not use it.
 */
export class GPUUnavailableError extends RuntimeError {
  readonly code = 'GPUUnavailable';
  readonly grpcStatus = status.FAILED_PRECONDITION;
  readonly retryable = false;
}

/** Thrown when a request names a model or version this process does not serve. */
export class ModelNotFoundError extends RuntimeError {
  readonly code = 'ModelNotFound';
  readonly grpcStatus = status.NOT_FOUND;
  readonly retryable = false;
  constructor(
    readonly requested: { name: string; version: string },
    served: { name: string; version: string },
  ) {
    const what = requested.version
      ? `'${requested.name}' version '${requested.version}'`
      : `'${requested.name}'`;
    super(
      `model ${what} is not served here (this runtime serves '${served.name}' version '${served.version}')`,
    );
  }
}

/** Thrown when the served model is still loading, failed to load, or was unloaded. */
export class ModelNotReadyError extends RuntimeError {
  readonly code = 'ModelNotReady';
  readonly grpcStatus = status.UNAVAILABLE;
  readonly retryable = true;
}

/** Thrown for requests that arrive after shutdown began, so that callers go to another replica. */
export class ShuttingDownError extends RuntimeError {
  readonly code = 'ShuttingDown';
  readonly grpcStatus = status.UNAVAILABLE;
  readonly retryable = true;
  constructor() {
    super('the runtime is shutting down');
  }
}

/** Thrown when an input tensor has the wrong name, datatype, shape or contents (also by the tensor codec). */
export class InvalidTensorError extends RuntimeError {
  readonly code = 'InvalidTensor';
  readonly grpcStatus = status.INVALID_ARGUMENT;
  readonly retryable = false;
}

/** Thrown when a request parameter has the wrong type or an out-of-range value. */
export class InvalidParameterError extends RuntimeError {
  readonly code = 'InvalidParameter';
  readonly grpcStatus = status.INVALID_ARGUMENT;
  readonly retryable = false;
  constructor(
    readonly parameter: string,
    detail: string,
  ) {
    super(`parameter '${parameter}' ${detail}`);
  }
}

/** Thrown when the requested task is unknown or not one the served model can do. */
export class UnsupportedTaskError extends RuntimeError {
  readonly code = 'UnsupportedTask';
  readonly grpcStatus = status.INVALID_ARGUMENT;
  readonly retryable = false;
}

/** Thrown when a text needs more tokens than the model's context window holds. */
export class ContextWindowExceededError extends RuntimeError {
  readonly code = 'ContextWindowExceeded';
  readonly grpcStatus = status.INVALID_ARGUMENT;
  readonly retryable = false;
  constructor(
    readonly tokens: number,
    readonly limit: number,
    what: string,
    hint = '',
  ) {
    super(`${what} has ${tokens} tokens but the model's context window holds ${limit}${hint}`);
  }
}

/** Thrown when onnxruntime or the tokenizer fails while serving a valid request. */
export class EngineError extends RuntimeError {
  readonly code = 'EngineFailure';
  readonly grpcStatus = status.INTERNAL;
  readonly retryable = true;
}

/** Thrown inside the engine when the caller cancelled or its deadline passed; nobody is listening any more. */
export class RequestCancelledError extends RuntimeError {
  readonly code = 'Cancelled';
  readonly grpcStatus = status.CANCELLED;
  readonly retryable = false;
  constructor() {
    super('the request was cancelled by the caller');
  }
}

/** gRPC status names, as the client reports them. */
export type GrpcStatusName = keyof typeof status;

/** Statuses after which the same call may succeed when tried again. */
const RETRYABLE_STATUSES: ReadonlySet<status> = new Set([
  status.UNAVAILABLE,
  status.DEADLINE_EXCEEDED,
  status.RESOURCE_EXHAUSTED,
  status.INTERNAL,
  status.ABORTED,
]);

/** Whether a gRPC status, seen by a caller, is worth a retry. */
export function isRetryableStatus(code: status): boolean {
  return RETRYABLE_STATUSES.has(code);
}

/** The name of a gRPC status code (`14` → `UNAVAILABLE`). */
export function statusName(code: status): GrpcStatusName {
  return (status[code] as GrpcStatusName | undefined) ?? 'UNKNOWN';
}

/**
 * Thrown by `RuntimeClient` for every failed call: the status name and code the server (or grpc-js) gave,
 * its message, and whether to retry. A malformed response reads as `UNKNOWN`, which is not retryable.
 */
export class RuntimeCallError extends Error {
  readonly code: GrpcStatusName;
  readonly retryable: boolean;
  constructor(
    readonly grpcCode: status,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RuntimeCallError';
    this.code = statusName(grpcCode);
    this.retryable = isRetryableStatus(grpcCode);
  }
}

/**
 * The gRPC status of each error code the server writes, for messages that carry `<Code>: <message>` without a
 * status of their own (ModelStreamInfer's `error_message`). test/runtime/errors.test.ts keeps it equal to the classes' own `grpcStatus`.
 */
const STATUS_OF_CODE: Readonly<Record<string, status>> = {
  ConfigInvalid: status.FAILED_PRECONDITION,
  ArtifactInvalid: status.FAILED_PRECONDITION,
  ArtifactUnavailable: status.UNAVAILABLE,
  QueueFull: status.RESOURCE_EXHAUSTED,
  RequestTooLarge: status.INVALID_ARGUMENT,
  ModelLoadFailed: status.INTERNAL,
  GPUUnavailable: status.FAILED_PRECONDITION,
  ModelNotFound: status.NOT_FOUND,
  ModelNotReady: status.UNAVAILABLE,
  ShuttingDown: status.UNAVAILABLE,
  InvalidTensor: status.INVALID_ARGUMENT,
  InvalidParameter: status.INVALID_ARGUMENT,
  UnsupportedTask: status.INVALID_ARGUMENT,
  ContextWindowExceeded: status.INVALID_ARGUMENT,
  EngineFailure: status.INTERNAL,
  Cancelled: status.CANCELLED,
  Internal: status.INTERNAL,
};

/** The status of a `<Code>: <message>` text; UNKNOWN when the prefix is not one of ours (e.g. from Triton). */
export function statusOfDetails(details: string): status {
  const code = /^([A-Za-z]+): /.exec(details)?.[1];
  return (code ? STATUS_OF_CODE[code] : undefined) ?? status.UNKNOWN;
}

/** The gRPC status a server sends for an error: our own errors keep their mapping, anything else is INTERNAL. */
export function toGrpcStatus(error: unknown): { code: status; details: string } {
  if (error instanceof RuntimeError)
    return { code: error.grpcStatus, details: `${error.code}: ${error.message}` };
  const message = error instanceof Error ? error.message : String(error);
  return { code: status.INTERNAL, details: `Internal: ${message}` };
}
