/**
 * Walks a fallback chain: tries each available target in order (retrying a target after failures it may
 * not repeat, with jittered backoff that honours Retry-After), moving on only for failures another target
 * may not share, and never past the request's deadline.
 * @module
 */
import { BackendError, type FailureKind, type RouteTarget, type UpstreamClock } from '../backends/backend.js';
import { scrubText } from '../backends/scrub.js';
import {
  fromBackendError,
  ModelUnavailableError,
  RequestCancelledError,
  UpstreamTimeoutError,
} from '../errors.js';
import { type ChainStep, type FallbackChain, isAvailable, movesToNextTarget } from './fallback-chain.js';
import { DEFAULT_RETRY, type RetryPolicy, retryDelay } from './retry.js';

export interface Attempt {
  readonly model: string;
  readonly version?: string;
  readonly outcome: 'succeeded' | 'failed' | 'skipped';
  readonly reason?: string;
  readonly kind?: FailureKind;
  readonly duration_ms?: number;
  /** 2 and up for retries of the same target. */
  readonly try?: number;
}

export interface ChainResult<T> {
  readonly value: T;
  readonly step: ChainStep;
  /** Position of the serving step in the chain (0: the first choice). */
  readonly stepIndex: number;
  readonly attempts: readonly Attempt[];
  /** Time spent waiting on backends, across attempts (the rest is router overhead). */
  readonly upstreamMs: number;
}

export interface ChainOptions {
  readonly deadline: number;
  /** The most one attempt may take, so one hung target cannot eat the whole deadline. */
  readonly attemptTimeoutMs?: number;
  readonly retry?: RetryPolicy;
  readonly signal?: AbortSignal;
  readonly onRetry?: (target: RouteTarget, error: BackendError) => void;
  /** Why a target cannot serve this request, decided before calling it (see Operation.refusal). */
  readonly refusal?: (target: RouteTarget) => BackendError | undefined;
}

type Call<T> = (target: RouteTarget, attemptDeadline: number, upstream: UpstreamClock) => Promise<T>;

const where = (t: RouteTarget): { model: string; version?: string } => ({
  model: t.model.name,
  ...(t.version ? { version: t.version.version } : {}),
});

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    const stop = () => {
      clearTimeout(timer);
      resolve();
    };
    signal?.addEventListener('abort', stop, { once: true });
  });
}

/** Errors that end the whole request at once: the request itself is at fault, or the caller left. */
function terminal(err: unknown, target: RouteTarget): Error | undefined {
  if (!(err instanceof BackendError)) return err as Error;
  if (err.kind === 'cancelled') return new RequestCancelledError('The request was cancelled');
  return movesToNextTarget(err.kind) ? undefined : fromBackendError(err, { ...where(target) });
}

/** One walk: the attempts so far and the time spent upstream. */
class Walk<T> {
  readonly attempts: Attempt[];
  upstreamMs = 0;
  timedOut = false;
  /** The first target that could not honour the request, and whether any target failed otherwise. */
  unsupported?: BackendError;
  otherFailure = false;
  readonly #o: ChainOptions;
  readonly #call: Call<T>;

  constructor(chain: FallbackChain, call: Call<T>, options: ChainOptions) {
    this.attempts = chain.skipped.map((s) => ({ model: s.model, outcome: 'skipped', reason: s.reason }));
    this.#call = call;
    this.#o = options;
  }

  /** Tries one step until it answers (returns the value) or should be left (returns undefined). */
  async step(step: ChainStep): Promise<{ value: T } | undefined> {
    for (let attempt = 1; ; attempt++) {
      if (Date.now() >= this.#o.deadline) {
        this.timedOut = true;
        return undefined;
      }
      const outcome = await this.#attempt(step, attempt);
      if ('value' in outcome) return outcome;
      const delay = retryDelay(
        outcome.failure,
        attempt,
        this.#o.retry ?? DEFAULT_RETRY,
        this.#o.deadline - Date.now(),
      );
      if (delay === undefined) return undefined;
      this.#o.onRetry?.(step.target, outcome.failure);
      await sleep(delay, this.#o.signal);
      if (this.#o.signal?.aborted) throw new RequestCancelledError('The request was cancelled');
    }
  }

  async #attempt(step: ChainStep, attempt: number): Promise<{ value: T } | { failure: BackendError }> {
    const { deadline, attemptTimeoutMs } = this.#o;
    const attemptDeadline = Math.min(deadline, Date.now() + (attemptTimeoutMs ?? Number.POSITIVE_INFINITY));
    const started = performance.now();
    const retry = attempt > 1 ? { try: attempt } : {};
    const upstream: UpstreamClock = { ms: 0, measured: false };
    try {
      const value = await this.#call(step.target, attemptDeadline, upstream);
      const ms = performance.now() - started;
      this.upstreamMs += upstream.measured ? upstream.ms : ms;
      this.attempts.push({
        ...where(step.target),
        outcome: 'succeeded',
        duration_ms: Math.round(ms),
        ...retry,
      });
      return { value };
    } catch (err) {
      const ms = performance.now() - started;
      this.upstreamMs += upstream.measured ? upstream.ms : ms;
      const fatal = terminal(err, step.target);
      if (fatal) throw fatal;
      const failure = err as BackendError;
      this.timedOut = failure.kind === 'timeout';
      if (failure.kind === 'unsupported') this.unsupported ??= failure;
      else this.otherFailure = true;
      this.attempts.push({
        ...where(step.target),
        outcome: failure.circuitOpen || failure.kind === 'unsupported' ? 'skipped' : 'failed',
        kind: failure.kind,
        // Shown to callers even when a later target serves: nothing credential-like, whatever the backend.
        reason: scrubText(failure.message),
        duration_ms: Math.round(ms),
        ...retry,
      });
      return { failure };
    }
  }
}

export async function executeChain<T>(
  chain: FallbackChain,
  call: Call<T>,
  options: ChainOptions,
): Promise<ChainResult<T>> {
  const walk = new Walk(chain, call, options);
  for (const [stepIndex, step] of chain.steps.entries()) {
    const refused = options.refusal?.(step.target);
    if (refused) {
      if (!movesToNextTarget(refused.kind)) throw fromBackendError(refused, { ...where(step.target) });
      walk.unsupported ??= refused;
      walk.attempts.push({
        ...where(step.target),
        outcome: 'skipped',
        kind: refused.kind,
        reason: scrubText(refused.message),
      });
      continue;
    }
    if (!isAvailable(step.target)) {
      // A target that could honour the request but is down makes it an outage, not the client's mistake.
      walk.otherFailure = true;
      walk.attempts.push({ ...where(step.target), outcome: 'skipped', reason: 'not ready' });
      continue;
    }
    const served = await walk.step(step);
    if (served)
      return { value: served.value, step, stepIndex, attempts: walk.attempts, upstreamMs: walk.upstreamMs };
    if (walk.timedOut && Date.now() >= options.deadline) break;
  }
  const details = { attempts: walk.attempts };
  // Nothing failed but for what the request asks: the client's to change, not a model's outage.
  if (walk.unsupported && !walk.otherFailure) throw fromBackendError(walk.unsupported, details);
  if (walk.timedOut)
    throw new UpstreamTimeoutError('The request timed out before any model answered', details);
  throw new ModelUnavailableError('No model in the fallback chain could serve the request', details);
}
