/**
 * One counting rule on every endpoint that counts requests: a request counts against the model it asked for,
 * whatever happened to it (served, answered from the cache, failed, served by a fallback), with the outcome
 * and the model that served it as breakdowns. /api/metrics, /api/metrics/usage and
 * router_inference_requests_total agree on the same traffic.
 */
import { expect } from 'chai';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { openaiModel, startRouter, type TestRouter } from './harness.js';

describe('api/router: usage and metrics count requests by one rule', function () {
  this.timeout(60_000);
  let a: FakeOpenAI;
  let b: FakeOpenAI;
  let router: TestRouter;

  before(async () => {
    [a, b] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
    router = await startRouter(
      [
        openaiModel('alpha', a.baseURL, '  fallbacks: [beta]'),
        openaiModel('beta', b.baseURL),
        openaiModel('gamma', a.baseURL),
      ],
      { RETRY_ATTEMPTS: '1' },
    );
  });
  after(async () => {
    await router?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  const ask = (model: string, input: string, temperature = 0) =>
    router.post('/api/inference/text', { model_id: model, input, parameters: { temperature } });

  it('given successes, a cache hit, a fallback and an error, /api/metrics and /api/metrics/usage agree per requested model', async () => {
    expect((await ask('alpha', 'one', 0.9)).status).to.equal(200);
    expect((await ask('alpha', 'two', 0.9)).status).to.equal(200);
    const miss = await ask('alpha', 'same');
    const hit = await ask('alpha', 'same');
    expect([miss.headers.get('x-cache'), hit.headers.get('x-cache')]).to.deep.equal(['MISS', 'HIT']);
    expect((await ask('beta', 'direct', 0.9)).status).to.equal(200);
    a.fault = 'http500';
    const fallback = await ask('alpha', 'rescued', 0.9);
    expect([fallback.status, fallback.body.model_id]).to.deep.equal([200, 'beta']);
    expect((await ask('gamma', 'lost', 0.9)).status).to.equal(503);
    a.fault = 'none';

    const expected = { alpha: 5, beta: 1, gamma: 1 };
    const metrics = (await router.get('/api/metrics')).body;
    const usage = (await router.get('/api/metrics/usage')).body;
    const byModel = (rows: { model_id: string }[], field: string) =>
      Object.fromEntries(
        rows
          .map((r) => [r.model_id, (r as unknown as Record<string, number>)[field]])
          .filter(([, n]) => (n as number) > 0),
      );
    expect(byModel(metrics.models, 'requests_count'), '/api/metrics').to.deep.equal(expected);
    expect(byModel(usage.models, 'requests'), '/api/metrics/usage').to.deep.equal(expected);
    expect(metrics.last_24h.requests_count).to.equal(7);
    expect(usage.totals.requests).to.equal(7);
    expect(usage.callers).to.deep.include.members([
      { ...usage.callers[0], caller: 'anonymous', requests: 7 },
    ]);

    // Prometheus counts by the same rule (its labels: the model asked for, the one that served, the outcome).
    for (const [model, count] of Object.entries(expected))
      expect(
        await router.metric(`router_inference_requests_total{operation="generate",model="${model}"`),
        model,
      ).to.equal(count);

    // The breakdowns: what happened to the requests for a model, and which model served them.
    const alpha = usage.models.find((m: { model_id: string }) => m.model_id === 'alpha');
    expect(alpha.outcomes).to.deep.equal({ success: 4, cache_hit: 1, error: 0 });
    expect(alpha.served_by).to.deep.equal([
      { model_id: 'alpha', requests: 3 },
      { model_id: 'beta', requests: 1 },
    ]);
    const alphaMetrics = metrics.models.find((m: { model_id: string }) => m.model_id === 'alpha');
    expect(alphaMetrics.outcomes).to.deep.equal(alpha.outcomes);
    expect(alphaMetrics.served_by).to.deep.equal(alpha.served_by);
    const gamma = usage.models.find((m: { model_id: string }) => m.model_id === 'gamma');
    expect([gamma.outcomes, gamma.served_by]).to.deep.equal([{ success: 0, cache_hit: 0, error: 1 }, []]);
    expect(usage.totals.outcomes).to.deep.equal({ success: 5, cache_hit: 1, error: 1 });
    // Tokens stay with the model that consumed them: beta's include the fallback it served for alpha.
    const beta = usage.models.find((m: { model_id: string }) => m.model_id === 'beta');
    expect(beta.served_by).to.deep.equal([{ model_id: 'beta', requests: 1 }]);
    expect(beta.total_tokens).to.equal((2 * alpha.total_tokens) / 3);
  });
});
