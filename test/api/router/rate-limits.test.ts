/**
 * Rate limits per caller through the router: two router replicas on one Redis share the counts, a caller
 * past its limit gets 429 rate_limited with Retry-After on both serving paths, other callers and the probes
 * are not affected, and nothing refused reaches the upstream.
 */
import { expect } from 'chai';
import { deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../../support/redis.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { openaiModel, startRouter, type TestRouter } from './harness.js';

const SEARCH = 'sk-router-search-0123456789';
const SUPPORT = 'sk-router-support-0123456789';

describe('api/router: rate limits per caller, shared by replicas on Redis', function () {
  this.timeout(60_000);
  const prefix = uniquePrefix('rate-limits');
  let upstream: FakeOpenAI;
  let one: TestRouter;
  let two: TestRouter;

  before(async function () {
    await requireRedis(this);
    upstream = await startFakeOpenAI();
    const env = {
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      REDIS_TIMEOUT_MS: '2000',
      ROUTER_API_KEYS: `search-team:${SEARCH},support-bot:${SUPPORT}`,
      // A window far longer than the test: the counts cannot slide out while it runs.
      ROUTER_RATE_LIMITS: 'search-team=3,*=100',
      RATE_LIMIT_WINDOW_SECONDS: '3600',
    };
    [one, two] = await Promise.all([
      startRouter([openaiModel('remote', upstream.baseURL)], env),
      startRouter([openaiModel('remote', upstream.baseURL)], env),
    ]);
  });
  after(async () => {
    await Promise.all([one?.close(), two?.close()]);
    await upstream?.close();
    await deleteKeys(REDIS_URL, prefix);
  });

  const text = (router: TestRouter, key: string) =>
    router.post(
      '/api/inference/text',
      { model_id: 'remote', input: 'hello', parameters: { max_tokens: 4 } },
      { authorization: `Bearer ${key}` },
    );

  it('counts a caller across replicas and refuses past the limit with 429 and Retry-After', async () => {
    const statuses = [];
    statuses.push((await text(one, SEARCH)).status);
    statuses.push((await text(two, SEARCH)).status);
    const listed = await fetch(`${one.url}/api/models`, { headers: { authorization: `Bearer ${SEARCH}` } });
    statuses.push(listed.status);
    expect(statuses).to.deep.equal([200, 200, 200]);
    const calls = upstream.requests.length;
    for (const router of [one, two]) {
      const refused = await text(router, SEARCH);
      expect(refused.status).to.equal(429);
      expect(refused.body.error.code).to.equal('rate_limited');
      expect(refused.body.error.details).to.deep.include({ caller: 'search-team', limit: 3 });
      expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 2 * 3600);
    }
    const chat = await two.post(
      '/v1/chat/completions',
      { model: 'remote', messages: [{ role: 'user', content: 'hi' }] },
      { authorization: `Bearer ${SEARCH}` },
    );
    expect(chat.status).to.equal(429);
    const models = await fetch(`${one.url}/api/models`, { headers: { authorization: `Bearer ${SEARCH}` } });
    expect(models.status).to.equal(429);
    expect(upstream.requests.length).to.equal(calls);
  });

  it('leaves other callers and the probes alone, and counts refusals in the metrics', async () => {
    expect((await text(one, SUPPORT)).status).to.equal(200);
    expect((await fetch(`${one.url}/healthz`)).status).to.equal(200);
    expect(await one.metric('router_rate_limited_total{caller="search-team"}')).to.equal(2);
  });
});
