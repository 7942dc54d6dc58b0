/**
 * Metering through the router on shared Redis: every replica reports the same figures, tokens come from
 * the provider's usage (the final usage chunk for streams), cost from the AIModel's pricing.
 */
import { expect } from 'chai';
import { eventually } from '../../support/eventually.js';
import { requireRedis, uniquePrefix } from '../../support/redis.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { openaiModel, startRouter, type TestRouter } from './harness.js';

describe('api/router: metering across replicas (Redis)', function () {
  this.timeout(60_000);
  let upstream: FakeOpenAI;
  let one: TestRouter;
  let two: TestRouter;

  before(async function () {
    const url = await requireRedis(this);
    upstream = await startFakeOpenAI();
    const env = { REDIS_URL: url, REDIS_KEY_PREFIX: uniquePrefix('metering'), USAGE_FLUSH_MS: '100' };
    const manifests = [openaiModel('alpha', upstream.baseURL)];
    [one, two] = await Promise.all([startRouter(manifests, env), startRouter(manifests, env)]);
  });
  after(async () => {
    await Promise.all([one?.close(), two?.close()]);
    await upstream?.close();
  });

  it('adds up tokens and cost from both replicas, streams included, and projects the month', async () => {
    const ask = (router: TestRouter, i: number) =>
      router.post('/api/inference/text', {
        model_id: 'alpha',
        input: `question ${i}`,
        parameters: { temperature: 0.9 },
      });
    await Promise.all([ask(one, 1), ask(one, 2), ask(two, 3)]);
    const stream = await fetch(`${two.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'alpha', stream: true, messages: [{ role: 'user', content: 'a b c' }] }),
    });
    await stream.text();
    // 3 chat completions of 7 + 3 tokens, one stream of 7 + 4 ("echo:", "a", "b", "c").
    const expected = {
      requests: 4,
      outcomes: { success: 4, cache_hit: 0, error: 0 },
      input_tokens: 28,
      output_tokens: 13,
      total_tokens: 41,
    };
    for (const router of [one, two]) {
      const usage = await eventually(async () => {
        const body = (await router.get('/api/metrics/usage')).body;
        return body.totals.requests === 4 ? body : undefined;
      }, 'both replicas flushed');
      expect(usage.totals).to.deep.equal(expected);
    }
    const cost = (await one.get('/api/metrics/cost')).body;
    // pricing: 1 per 1k input, 2 per 1k output → 0.028 + 0.026
    expect(cost.totals).to.deep.equal([{ currency: 'USD', amount: 0.054 }]);
    expect(cost.projection.month_to_date).to.deep.equal([{ currency: 'USD', amount: 0.054 }]);
    expect(cost.projection.projected_total[0].amount).to.be.at.least(0.054);
    const perModel = (await two.get('/api/models/alpha/metrics')).body;
    expect(perModel).to.include({ requests_count: 4, tokens_input: 28, tokens_output: 13, error_rate: 0 });
  });
});
