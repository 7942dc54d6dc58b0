/**
 * Walks a fallback chain: tries each available target in order until one answers, moving on only for
 * failures another target may not share, and never past the request's deadline.
 * @module
 */
import { BackendError, type FailureKind, type RouteTarget } from '../backends/backend.js';
import {
  ModelUnavailableError,
  RequestCancelledError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
} from '../errors.js';
import { type ChainStep, type FallbackChain, isAvailable, movesToNextTarget } from './fallback-chain.js';

export interface Attempt {
  readonly model: string;
  readonly version?: string;
  readonly outcome: 'succeeded' | 'failed' | 'skipped';
  readonly reason?: string;
  readonly kind?: FailureKind;
  readonly duration_ms?: number;
}

export interface ChainResult<T> {
  readonly value: T;
  readonly step: ChainStep;
  readonly attempts: readonly Attempt[];
  /** Time spent waiting on backends, across attempts (the rest is router overhead). */
  readonly upstreamMs: number;
}

const where = (t: RouteTarget): { model: string; version?: string } => ({
  model: t.model.name,
  ...(t.version ? { version: t.version.version } : {}),
});

type StepOutcome<T> = { ok: true; value: T; ms: number } | { ok: false; error: BackendError; ms: number };

/** One call; a failure another target might not share comes back as a value, anything else is thrown. */
async function attempt<T>(
  step: ChainStep,
  call: (target: RouteTarget) => Promise<T>,
): Promise<StepOutcome<T>> {
  const started = performance.now();
  try {
    const value = await call(step.target);
    return { ok: true, value, ms: performance.now() - started };
  } catch (err) {
    if (!(err instanceof BackendError)) throw err;
    if (err.kind === 'rejected') throw new UpstreamRejectedError(err.message, { ...where(step.target) });
    if (err.kind === 'cancelled') throw new RequestCancelledError('The request was cancelled');
    if (!movesToNextTarget(err.kind)) throw err;
    return { ok: false, error: err, ms: performance.now() - started };
  }
}

export async function executeChain<T>(
  chain: FallbackChain,
  call: (target: RouteTarget) => Promise<T>,
  deadline: number,
): Promise<ChainResult<T>> {
  const attempts: Attempt[] = chain.skipped.map((s) => ({
    model: s.model,
    outcome: 'skipped',
    reason: s.reason,
  }));
  let upstreamMs = 0;
  let timedOut = false;
  for (const step of chain.steps) {
    if (Date.now() >= deadline) {
      timedOut = true;
      break;
    }
    if (!isAvailable(step.target)) {
      attempts.push({ ...where(step.target), outcome: 'skipped', reason: 'not ready' });
      continue;
    }
    const outcome = await attempt(step, call);
    upstreamMs += outcome.ms;
    const duration_ms = Math.round(outcome.ms);
    if (outcome.ok) {
      attempts.push({ ...where(step.target), outcome: 'succeeded', duration_ms });
      return { value: outcome.value, step, attempts, upstreamMs };
    }
    timedOut = outcome.error.kind === 'timeout';
    attempts.push({
      ...where(step.target),
      outcome: 'failed',
      kind: outcome.error.kind,
      reason: outcome.error.message,
      duration_ms,
    });
  }
  if (timedOut)
    throw new UpstreamTimeoutError('The request timed out before any model answered', { attempts });
  throw new ModelUnavailableError('No model in the fallback chain could serve the request', { attempts });
}
