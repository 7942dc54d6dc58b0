/**
 * What each kind of backend failure means, in one table that every layer reads: the retry loop (try the
 * same target again?), the fallback walk (move to the next target?), the circuit breakers (does it say the
 * endpoint is unhealthy?), and the HTTP layer (status and OpenAI error type when nothing absorbed it).
 * Pure data; change behaviour here, not in the layers.
 * @module
 */
import type { FailureKind } from '../backends/backend.js';

/** OpenAI's error types, as its SDKs read them from `error.type`. */
export type OpenAIErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'server_error';

export interface FailurePolicy {
  /** The same target may answer if asked again (after a jittered backoff, within the deadline). */
  readonly retrySameTarget: boolean;
  /** Another target of the fallback chain may succeed where this one failed. */
  readonly nextTarget: boolean;
  /** The failure says the endpoint is unhealthy: it counts toward opening its circuit. */
  readonly countsAgainstEndpoint: boolean;
  /** The HTTP status a client gets when this failure ends the request. */
  readonly status: number;
  readonly openaiType: OpenAIErrorType;
}

export const FAILURE_POLICY: Readonly<Record<FailureKind, FailurePolicy>> = {
  // Could not reach it, or it is not serving (connection refused, UNAVAILABLE, circuit open).
  unavailable: {
    retrySameTarget: true,
    nextTarget: true,
    countsAgainstEndpoint: true,
    status: 503,
    openaiType: 'server_error',
  },
  // The attempt's time ran out. Asking the same target again would spend the time the next target needs.
  timeout: {
    retrySameTarget: false,
    nextTarget: true,
    countsAgainstEndpoint: true,
    status: 504,
    openaiType: 'server_error',
  },
  // It refused for load (429, RESOURCE_EXHAUSTED): healthy, just busy.
  overloaded: {
    retrySameTarget: true,
    nextTarget: true,
    countsAgainstEndpoint: false,
    status: 503,
    openaiType: 'server_error',
  },
  // It failed on its side (5xx, INTERNAL, a broken or stalled stream).
  upstream_error: {
    retrySameTarget: true,
    nextTarget: true,
    countsAgainstEndpoint: true,
    status: 502,
    openaiType: 'server_error',
  },
  // It does not know the model or refused our credentials (404, 401, 403): ours to fix, not its health.
  misconfigured: {
    retrySameTarget: false,
    nextTarget: true,
    countsAgainstEndpoint: false,
    status: 502,
    openaiType: 'server_error',
  },
  // The request itself is invalid (400, INVALID_ARGUMENT): every target would refuse it.
  rejected: {
    retrySameTarget: false,
    nextTarget: false,
    countsAgainstEndpoint: false,
    status: 400,
    openaiType: 'invalid_request_error',
  },
  // This target cannot honour a parameter (tools on a runtime model): another target may.
  unsupported: {
    retrySameTarget: false,
    nextTarget: true,
    countsAgainstEndpoint: false,
    status: 400,
    openaiType: 'invalid_request_error',
  },
  // The caller went away.
  cancelled: {
    retrySameTarget: false,
    nextTarget: false,
    countsAgainstEndpoint: false,
    status: 499,
    openaiType: 'invalid_request_error',
  },
};

export const policyOf = (kind: FailureKind): FailurePolicy => FAILURE_POLICY[kind];

/** How an HTTP status from an OpenAI-compatible upstream reads as a failure kind. */
export function kindOfUpstreamStatus(status: number): FailureKind {
  if (status === 429) return 'overloaded';
  if (status === 401 || status === 403 || status === 404) return 'misconfigured';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'upstream_error';
  return 'rejected';
}

/** The OpenAI error type of an HTTP status the router answers with. */
export function openaiTypeOfStatus(status: number): OpenAIErrorType {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}
