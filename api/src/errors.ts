/**
 * Every failure the router answers with: one class per failure mode, each with the HTTP status, a stable
 * `code` a client can act on, and whether retrying the same request can succeed. The JSON shape is
 * `{"error": {"code", "message", "details"}}` everywhere.
 * @module
 */
import { BackendError, type UpstreamErrorAnswer } from './backends/backend.js';
import { scrubText } from './backends/scrub.js';
import { type OpenAIErrorType, openaiTypeOfStatus, policyOf } from './routing/failure-policy.js';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** The error shape of the OpenAI-compatible API (/v1), which its SDKs read; `details` is the router's extra. */
export interface OpenAIErrorBody {
  error: {
    message: string;
    type: OpenAIErrorType;
    param: string | null;
    code: string | null;
    details?: unknown;
  };
}

export abstract class ApiError extends Error {
  abstract readonly status: number;
  abstract readonly code: string;
  readonly retryable: boolean = false;
  readonly details?: unknown;
  /** Seconds a client should wait before retrying (sent as Retry-After). */
  readonly retryAfterSeconds?: number;
  /** The request parameter at fault, as OpenAI's `param` names it (`tools`, `messages[1].content`). */
  readonly param?: string;
  /** Response headers that go with the error (a budget's x-ratelimit-*). */
  readonly headers?: Readonly<Record<string, string>>;

  constructor(message: string, details?: unknown, options?: { cause?: unknown; param?: string }) {
    super(message, options);
    this.name = new.target.name;
    this.details = details;
    if (options?.param !== undefined) this.param = options.param;
  }

  /** This error in OpenAI's shape: the same message and code, OpenAI's type for the status, the param. */
  toOpenAIBody(): OpenAIErrorBody {
    return {
      error: {
        message: this.message,
        type: openaiTypeOfStatus(this.status),
        param: this.param ?? paramOfProblems(this.details) ?? null,
        code: this.code,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

/** The body failed schema validation; `details` lists each problem with its path. */
export class ValidationError extends ApiError {
  readonly status = 400;
  readonly code = 'invalid_request';
}

/** The first problem's body path (`body.messages.0.role` → `messages.0.role`), OpenAI's `param`. */
function paramOfProblems(details: unknown): string | undefined {
  const path = (details as { problems?: { path?: unknown }[] } | undefined)?.problems?.[0]?.path;
  if (typeof path !== 'string' || !path.startsWith('body.')) return undefined;
  return path.slice('body.'.length);
}

/** The target asked for cannot honour a parameter of the request (tools on a runtime model); `param` names it. */
export class UnsupportedParameterError extends ApiError {
  readonly status = 400;
  readonly code = 'unsupported_parameter';
}

/** The body is not parseable JSON. */
export class MalformedJsonError extends ApiError {
  readonly status = 400;
  readonly code = 'malformed_json';
}

/** The body is larger than the configured limit. */
export class PayloadTooLargeError extends ApiError {
  readonly status = 413;
  readonly code = 'payload_too_large';
}

/** The body is not `application/json`. */
export class UnsupportedMediaTypeError extends ApiError {
  readonly status = 415;
  readonly code = 'unsupported_media_type';
}

/** The router requires an API key and the request has none, or one it does not know. */
export class UnauthorizedError extends ApiError {
  readonly status = 401;
  readonly code = 'unauthorized';
}

/** The API key is known but may not do this: it lacks a scope, or the model is outside its allow-list. */
export class PermissionDeniedError extends ApiError {
  readonly status = 403;
  readonly code = 'permission_denied';
}

/** The caller sent more requests than its rate limit allows; Retry-After says when one more fits. */
export class RateLimitedError extends ApiError {
  readonly status = 429;
  readonly code = 'rate_limited';
  override readonly retryable = true;
  override readonly retryAfterSeconds: number;

  constructor(message: string, retryAfterSeconds: number, details?: unknown) {
    super(message, details);
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

/**
 * A caller's token or spend budget has no room for the request's reservation (code `token_limit_exceeded` or
 * `spend_limit_exceeded`). Retry-After says when it fits; without it the request alone is larger than the
 * whole budget and waiting cannot help.
 */
export class BudgetExceededError extends ApiError {
  readonly status = 429;
  readonly code: 'token_limit_exceeded' | 'spend_limit_exceeded';
  override readonly retryable: boolean;
  override readonly retryAfterSeconds?: number = undefined;
  override readonly headers?: Readonly<Record<string, string>> = undefined;

  constructor(
    budget: 'tokens' | 'spend',
    message: string,
    options: { retryAfterSeconds?: number; headers?: Record<string, string>; details?: unknown },
  ) {
    super(message, options.details);
    this.code = budget === 'tokens' ? 'token_limit_exceeded' : 'spend_limit_exceeded';
    this.retryable = options.retryAfterSeconds !== undefined;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.headers = options.headers;
  }
}

/** No route matches the path. */
export class RouteNotFoundError extends ApiError {
  readonly status = 404;
  readonly code = 'not_found';
}

/** The path exists but not with this method. */
export class MethodNotAllowedError extends ApiError {
  readonly status = 405;
  readonly code = 'method_not_allowed';
}

/** No AIModel has the requested name. */
export class ModelNotFoundError extends ApiError {
  readonly status = 404;
  readonly code = 'model_not_found';
}

/** The AIModel exists but has no ModelVersion with the requested version. */
export class VersionNotFoundError extends ApiError {
  readonly status = 404;
  readonly code = 'version_not_found';
}

/** The model cannot do what was asked (e.g. classify with a text-generation model). */
export class UnsupportedTaskError extends ApiError {
  readonly status = 400;
  readonly code = 'unsupported_task';
}

/** No batch job has this id (or it expired). */
export class JobNotFoundError extends ApiError {
  readonly status = 404;
  readonly code = 'job_not_found';
}

/** An idempotency key was sent again with a different batch: the key is bound to the job it first made. */
export class IdempotencyConflictError extends ApiError {
  readonly status = 409;
  readonly code = 'idempotency_conflict';
}

/** The job store (Redis) cannot be reached: nothing was accepted or read; try again shortly. */
export class JobStoreUnavailableError extends ApiError {
  readonly status = 503;
  readonly code = 'job_store_unavailable';
  override readonly retryable = true;
  override readonly retryAfterSeconds = 1;
}

/** The request conflicts with the resource's state (e.g. downloading a model that has no artifact). */
export class ConflictError extends ApiError {
  readonly status = 409;
  readonly code = 'conflict';
}

/**
 * The backend rejected the request as invalid (e.g. a prompt longer than the context window). An
 * OpenAI-compatible upstream's own 4xx status and error object are kept, so a passthrough client sees them.
 */
export class UpstreamRejectedError extends ApiError {
  readonly status: number;
  readonly code = 'rejected_by_model';
  readonly upstream?: UpstreamErrorAnswer;

  constructor(
    message: string,
    details?: unknown,
    options?: { cause?: unknown; param?: string; upstream?: UpstreamErrorAnswer },
  ) {
    super(message, details, options);
    const status = options?.upstream?.status;
    this.status = status !== undefined && status >= 400 && status < 500 ? status : 400;
    if (options?.upstream) this.upstream = options.upstream;
  }

  /** The upstream's own error object when it sent one (its type, param and code), else ours. */
  override toOpenAIBody(): OpenAIErrorBody {
    const ours = super.toOpenAIBody();
    const theirs = this.upstream?.error;
    if (!theirs) return ours;
    const text = (v: unknown) => (typeof v === 'string' ? v : undefined);
    return {
      error: {
        ...ours.error,
        message: text(theirs.message) ?? ours.error.message,
        type: (text(theirs.type) as OpenAIErrorType | undefined) ?? ours.error.type,
        param: text(theirs.param) ?? ours.error.param,
        code: text(theirs.code) ?? ours.error.code,
      },
    };
  }
}

/** Every target of the fallback chain failed or was unavailable; `details.attempts` says why each. */
export class ModelUnavailableError extends ApiError {
  readonly status = 503;
  readonly code = 'model_unavailable';
  override readonly retryable = true;
  override readonly retryAfterSeconds = 1;
}

/** The request's deadline passed before any target answered. */
export class UpstreamTimeoutError extends ApiError {
  readonly status = 504;
  readonly code = 'upstream_timeout';
  override readonly retryable = true;
}

/** A bug: never expected, always logged with its stack. */
export class InternalError extends ApiError {
  readonly status = 500;
  readonly code = 'internal_error';
}

/** A backend failed on its side, or refused our configuration (bad key, unknown model name). */
export class UpstreamError extends ApiError {
  readonly status = 502;
  readonly code = 'upstream_error';
  override readonly retryable = true;
}

/**
 * A guardrail of the model refused the request (400, direction input) or its answer (422, direction output);
 * `details` names the direction and the rule, never the text that matched.
 */
export class GuardrailBlockedError extends ApiError {
  readonly status: number;
  readonly code = 'guardrail_blocked';

  constructor(message: string, details: { direction: 'input' | 'output'; rule: string; model: string }) {
    super(message, details);
    this.status = details.direction === 'input' ? 400 : 422;
  }
}

/** The model's guard model could not answer and its guardrails say to block then (onError: block). */
export class GuardrailUnavailableError extends ApiError {
  readonly status = 503;
  readonly code = 'guardrail_unavailable';
  override readonly retryable = true;
  override readonly retryAfterSeconds = 1;
}

/** Wraps anything thrown into an ApiError (unknown errors become InternalError). */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  if (err instanceof BackendError) return fromBackendError(err);
  return new InternalError('Internal error', undefined, { cause: err });
}

/** How a backend failure reads to a client when no fallback chain absorbed it (status: the policy table's). */
export function fromBackendError(err: BackendError, details?: unknown): ApiError {
  const options = {
    cause: err,
    ...(err.param === undefined ? {} : { param: err.param }),
    ...(err.upstream === undefined ? {} : { upstream: err.upstream }),
  };
  // Backends scrub what they know (their key, their address); this catches any credential shape they missed.
  const message = scrubText(err.message);
  if (err.kind === 'rejected') return new UpstreamRejectedError(message, details, options);
  if (err.kind === 'unsupported') return new UnsupportedParameterError(message, details, options);
  if (err.kind === 'cancelled') return new RequestCancelledError(message, details, options);
  switch (policyOf(err.kind).status) {
    case 503:
      return new ModelUnavailableError(message, details, options);
    case 504:
      return new UpstreamTimeoutError(message, details, options);
    default:
      return new UpstreamError(message, details, options);
  }
}

/** The client closed the connection before the answer was ready (nginx's 499). */
export class RequestCancelledError extends ApiError {
  readonly status = 499;
  readonly code = 'cancelled';
}

/** The model has no artifact to download (it is served by an external endpoint). */
export class NoArtifactError extends ApiError {
  readonly status = 409;
  readonly code = 'no_artifact';
}

/** The artifact failed verification (sha256 mismatch, missing files); the old model keeps serving. */
export class ArtifactInvalidError extends ApiError {
  readonly status = 409;
  readonly code = 'artifact_invalid';
}
