/**
 * The response cache through the router, on real Redis: hits, bypass, sampling, forced caching, concurrent
 * misses computed once, TTL per AIModel, fallback answers never cached, and Redis going away and back.
 */
import { expect } from 'chai';
import { RedisServer, requireRedis, uniquePrefix } from '../../support/redis.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { openaiModel, startRouter, type TestRouter } from './harness.js';

describe('api/router: the response cache (Redis)', function () {
  this.timeout(60_000);
  let a: FakeOpenAI;
  let b: FakeOpenAI;
  let router: TestRouter;
  let n = 0;

  /** A prompt no earlier test (or run) has cached. */
  const fresh = () => `question ${Date.now()} ${n++}`;
  const text = (
    input: string,
    parameters: Record<string, unknown> = { temperature: 0 },
    headers: Record<string, string> = {},
    model = 'alpha',
  ) => router.post('/api/inference/text', { model_id: model, input, parameters }, headers);

  before(async function () {
    const url = await requireRedis(this);
    [a, b] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
    router = await startRouter(
      [
        openaiModel('alpha', a.baseURL, '  fallbacks: [beta]'),
        openaiModel('beta', b.baseURL),
        openaiModel('brief', a.baseURL, '  cache: {ttlSeconds: 1}'),
      ],
      // A generous lookup budget: these tests are about cache behaviour, not about a slow Redis (below), and a
      // busy CI machine can take longer than the default 50 ms to answer.
      {
        REDIS_URL: url,
        REDIS_KEY_PREFIX: uniquePrefix('router'),
        RETRY_ATTEMPTS: '1',
        REDIS_TIMEOUT_MS: '2000',
      },
    );
  });
  after(async () => {
    await router?.close();
    await Promise.all([a?.close(), b?.close()]);
  });
  beforeEach(() => {
    a.fault = 'none';
    a.delayMs = 0;
  });

  it('answers a repeated deterministic request from the cache, without calling the model', async () => {
    const input = fresh();
    const first = await text(input);
    const calls = a.requests.length;
    const second = await text(input);
    expect(first.headers.get('x-cache')).to.equal('MISS');
    expect(second.headers.get('x-cache')).to.equal('HIT');
    expect(second.body).to.include({ output: first.body.output, model_id: 'alpha', cache: 'HIT' });
    expect(second.body.usage).to.deep.equal(first.body.usage);
    expect(a.requests.length).to.equal(calls);
  });

  it('bypasses the cache for cache-control: no-cache', async () => {
    const input = fresh();
    await text(input);
    const calls = a.requests.length;
    const res = await text(input, { temperature: 0 }, { 'cache-control': 'no-cache' });
    expect(res.headers.get('x-cache')).to.equal('BYPASS');
    expect(a.requests.length).to.equal(calls + 1);
  });

  it('does not cache sampled requests unless the caller forces it', async () => {
    const input = fresh();
    const sampled = { temperature: 0.7 };
    expect((await text(input, sampled)).headers.get('x-cache')).to.equal('SKIP');
    expect((await text(input, sampled)).headers.get('x-cache')).to.equal('SKIP');
    const force = { 'x-router-cache': 'force' };
    expect((await text(input, sampled, force)).headers.get('x-cache')).to.equal('MISS');
    expect((await text(input, sampled, force)).headers.get('x-cache')).to.equal('HIT');
  });

  it('computes concurrent identical misses once', async () => {
    a.delayMs = 200;
    const input = fresh();
    const calls = a.requests.length;
    const answers = await Promise.all(Array.from({ length: 8 }, () => text(input)));
    expect(answers.every((r) => r.status === 200 && r.body.output === answers[0]?.body.output)).to.equal(
      true,
    );
    expect(a.requests.length).to.equal(calls + 1);
  });

  it("keeps answers for the AIModel's TTL", async () => {
    const input = fresh();
    await text(input, { temperature: 0 }, {}, 'brief');
    expect((await text(input, { temperature: 0 }, {}, 'brief')).headers.get('x-cache')).to.equal('HIT');
    await new Promise((r) => setTimeout(r, 1200));
    expect((await text(input, { temperature: 0 }, {}, 'brief')).headers.get('x-cache')).to.equal('MISS');
  });

  it('keys /v1 answers on the whole body: a request differing only in tools never shares an answer', async () => {
    const input = fresh();
    const chat = { model: 'alpha', temperature: 0, messages: [{ role: 'user', content: input }] };
    expect((await router.post('/v1/chat/completions', chat)).headers.get('x-cache')).to.equal('MISS');
    expect((await router.post('/v1/chat/completions', chat)).headers.get('x-cache')).to.equal('HIT');
    const tools = [{ type: 'function', function: { name: 'now', parameters: { type: 'object' } } }];
    const withTools = await router.post('/v1/chat/completions', { ...chat, tools });
    expect(withTools.headers.get('x-cache')).to.equal('MISS');
    expect(a.requests.at(-1)?.body.tools).to.deep.equal(tools);
  });

  it("never caches a fallback's answer under the model that was asked for", async () => {
    const input = fresh();
    a.fault = 'http500';
    expect((await text(input)).body.model_id).to.equal('beta');
    a.fault = 'none';
    const again = await text(input);
    expect(again.body.model_id).to.equal('alpha');
    expect(again.headers.get('x-cache')).to.equal('MISS');
  });

  it('replays a cached stream as the events it passed through', async () => {
    const input = fresh();
    const ask = () =>
      fetch(`${router.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          model: 'alpha',
          temperature: 0,
          stream: true,
          messages: [{ role: 'user', content: input }],
        }),
      });
    const first = await ask();
    expect(first.headers.get('x-cache')).to.equal('MISS');
    const sent = await first.text();
    const again = await ask();
    expect(again.headers.get('x-cache')).to.equal('HIT');
    expect(await again.text()).to.equal(sent);
    expect(sent).to.include('"content":" ').and.include('data: [DONE]');
  });
});

describe('api/router: Redis down and back', function () {
  this.timeout(60_000);
  let redis: RedisServer;
  let upstream: FakeOpenAI;
  let router: TestRouter;

  before(async function () {
    await requireRedis(this);
    redis = await RedisServer.start();
    upstream = await startFakeOpenAI();
    router = await startRouter([openaiModel('alpha', upstream.baseURL)], {
      REDIS_URL: redis.url,
      REDIS_TIMEOUT_MS: '50',
    });
  });
  after(async () => {
    await router?.close();
    await upstream?.close();
    await redis?.kill();
  });

  it('serves every request while Redis is away (cache bypassed, counted), and caches again when it returns', async () => {
    const ask = () =>
      router.post('/api/inference/text', {
        model_id: 'alpha',
        input: 'steady',
        parameters: { temperature: 0 },
      });
    await ask();
    expect((await ask()).headers.get('x-cache')).to.equal('HIT');
    await redis.kill();
    const down = await ask();
    expect(down.status).to.equal(200);
    expect(down.headers.get('x-cache')).to.equal('ERROR');
    expect(await router.metric('router_redis_errors_total')).to.be.greaterThan(0);
    await redis.start();
    let status = '';
    for (let i = 0; i < 50 && status !== 'HIT'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      status = (await ask()).headers.get('x-cache') ?? '';
    }
    expect(status).to.equal('HIT');
  });
});
