/**
 * What an OpenAI-compatible upstream's failures become: a BackendError of the kind its status means, with
 * Retry-After honoured and every word it said scrubbed (scrub.ts) before it can reach a caller or a log.
 * Pure, apart from reading the clock for an HTTP-date Retry-After.
 * @module
 */
import { kindOfUpstreamStatus } from '../routing/failure-policy.js';
import { BackendError } from './backend.js';
import { type ScrubContext, scrubText, scrubUpstreamError } from './scrub.js';
import type { UpstreamResponse } from './upstream-client.js';

/** Who an upstream is to a caller (`upstream of model x`), and what its failures must not say. */
export interface UpstreamIdentity {
  readonly name: string;
  readonly scrub: ScrubContext;
}

function retryAfterMs(headers: UpstreamResponse['headers']): number | undefined {
  const ms = headers['retry-after-ms'];
  if (typeof ms === 'string' && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers['retry-after'];
  if (typeof value !== 'string') return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

/** An upstream's error answer (its status, headers and the `error` it sent, if any) as a BackendError. */
export function upstreamFailure(
  res: Pick<UpstreamResponse, 'status' | 'headers'>,
  said: unknown,
  u: UpstreamIdentity,
): BackendError {
  const error = scrubUpstreamError(said, u.scrub);
  const kept = Object.keys(error).length > 0;
  const message = error.message === undefined ? '' : `: ${error.message}`;
  return new BackendError(kindOfUpstreamStatus(res.status), `${u.name} answered ${res.status}${message}`, {
    retryAfterMs: retryAfterMs(res.headers),
    upstream: { status: res.status, ...(kept ? { error } : {}) },
    ...(error.param === undefined ? {} : { param: error.param }),
  });
}

/**
 * Any failure of a call as a BackendError whose message is scrubbed. The transport's own errors (which may
 * name the address or quote what the upstream sent) are not kept as the cause, so a log of it cannot
 * quote them either; an error already scrubbed (the upstream's answer) is kept as it is.
 */
export function scrubbed(err: unknown, u: UpstreamIdentity): BackendError {
  if (err instanceof BackendError && (err.upstream !== undefined || err.circuitOpen)) return err;
  if (err instanceof BackendError)
    return new BackendError(err.kind, scrubText(err.message, u.scrub), {
      ...(err.retryAfterMs === undefined ? {} : { retryAfterMs: err.retryAfterMs }),
      ...(err.param === undefined ? {} : { param: err.param }),
    });
  const message = (err as Error)?.message ?? String(err);
  return new BackendError('upstream_error', `${u.name}: ${scrubText(message, u.scrub)}`);
}
