import { expect } from 'chai';
import { RateLimitedError } from '../../../api/src/errors.js';
import { modelOperationsAdmission } from '../../../api/src/limits/admission.js';
import { MemoryRateLimiter } from '../../../api/src/limits/limiters.js';
import { createMetrics } from '../../../api/src/metrics/registry.js';

describe('api/limits/admission: the model-operations limit', () => {
  it('admits N operations per window per caller, then refuses with 429 and Retry-After', async () => {
    let now = 1_000_000 * 60_000;
    const metrics = createMetrics({ defaultMetrics: false });
    const admit = modelOperationsAdmission(
      3,
      new MemoryRateLimiter({ windowMs: 60_000, now: () => now }),
      60,
      metrics,
    );
    for (let i = 0; i < 3; i++) await admit('ops');
    const refused = await admit('ops').catch((err: unknown) => err);
    expect(refused).to.be.instanceOf(RateLimitedError);
    expect((refused as RateLimitedError).status).to.equal(429);
    expect((refused as RateLimitedError).retryAfterSeconds).to.be.within(1, 120);
    expect((refused as RateLimitedError).message).to.include('ROUTER_MODEL_OPS_LIMIT');
    await admit('alice'); // another caller has its own count
    now += 2 * 60_000;
    await admit('ops'); // two windows later the count is gone
    const text = await metrics.registry.getSingleMetricAsString('router_rate_limited_total');
    expect(text).to.include('router_rate_limited_total{caller="ops"} 1');
  });
});
