/**
 * Admission of a request by its caller's rate limit: counts it and refuses it with 429 `rate_limited`
 * (Retry-After in whole seconds) past the limit. Built only when limits are declared, so an unlimited router
 * pays nothing per request.
 * @module
 */
import { RateLimitedError } from '../errors.js';
import type { Metrics } from '../metrics/registry.js';
import type { RateLimiter } from './limiters.js';
import { limitFor, type RateLimits } from './rate-limit.js';

export type Admission = (caller: string) => Promise<void>;

export function rateLimitAdmission(
  limits: RateLimits,
  limiter: RateLimiter,
  windowSeconds: number,
  metrics: Metrics,
): Admission {
  return async (caller) => {
    const limit = limitFor(limits, caller);
    if (limit === undefined) return;
    const decision = await limiter.take(caller, limit);
    if (decision.allowed) return;
    metrics.rateLimited.inc({ caller: limits.byCaller.has(caller) ? caller : '*' });
    const retryAfterSeconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    throw new RateLimitedError(
      `Rate limit of ${limit} requests per ${windowSeconds} s reached for ${caller}; retry in ${retryAfterSeconds} s`,
      retryAfterSeconds,
      { caller, limit, window_seconds: windowSeconds },
    );
  };
}

/**
 * The model-operations limit: `limit` operations that change a model (download, reload) per window per
 * caller, on counters of their own (a reload storm cannot spend a caller's request limit, nor the reverse).
 * Always on, whether or not ROUTER_RATE_LIMITS is set: a reload is expensive for every runtime of a version.
 */
export function modelOperationsAdmission(
  limit: number,
  limiter: RateLimiter,
  windowSeconds: number,
  metrics: Metrics,
): Admission {
  return async (caller) => {
    const decision = await limiter.take(caller, limit);
    if (decision.allowed) return;
    // Only keys holding models:admin reach here: a short, declared list of callers.
    metrics.rateLimited.inc({ caller });
    const retryAfterSeconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
    throw new RateLimitedError(
      `Model-operations limit of ${limit} per ${windowSeconds} s reached for ${caller} (ROUTER_MODEL_OPS_LIMIT); retry in ${retryAfterSeconds} s`,
      retryAfterSeconds,
      { caller, limit, window_seconds: windowSeconds, limit_name: 'model_operations' },
    );
  };
}
