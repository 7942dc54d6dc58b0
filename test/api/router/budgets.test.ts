/**
 * Token and spend budgets through the router: two replicas on one Redis share them; a caller past a budget gets
 * 429 with Retry-After and OpenAI's x-ratelimit-* headers on REST, /v1 and streams, and nothing refused reaches
 * the upstream; reservations are settled from the upstream's real usage; batch items count against budgets and
 * the request limit as they run, and wait (deferred, not failed) when there is no room.
 */
import { expect } from 'chai';
import { eventually } from '../../support/eventually.js';
import { deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../../support/redis.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { openaiModel, startRouter, type TestRouter } from './harness.js';

const ALICE = 'sk-budget-alice-0123456789';
const BOB = 'sk-budget-bob-0123456789';
const CAROL = 'sk-budget-carol-0123456789';
const DAVE = 'sk-budget-dave-0123456789';
const OPS = 'sk-budget-ops-0123456789';
const ERIN = 'sk-budget-erin-0123456789';

describe('api/router: token and spend budgets per caller, shared by replicas on Redis', function () {
  this.timeout(120_000);
  const prefix = uniquePrefix('budgets');
  let upstream: FakeOpenAI;
  let one: TestRouter;
  let two: TestRouter;
  let n = 0;
  // Every request its own text: no answer comes from the cache.
  const fresh = () => `q${n++}`;

  before(async function () {
    await requireRedis(this);
    upstream = await startFakeOpenAI();
    const env = {
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      REDIS_TIMEOUT_MS: '2000',
      ROUTER_API_KEYS: `alice:${ALICE},bob:${BOB},carol:${CAROL},dave:${DAVE},erin:${ERIN},ops:${OPS}:batch,jobs:all`,
      ROUTER_TOKEN_LIMITS: 'alice=100,carol=1000,erin=100,*=1000000',
      ROUTER_SPEND_LIMITS: 'bob=0.03/day',
      ROUTER_RATE_LIMITS: 'dave=6,*=100000',
      // A window far longer than the test: nothing slides out while it runs.
      RATE_LIMIT_WINDOW_SECONDS: '3600',
      BATCH_ITEM_ATTEMPTS: '1',
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

  const auth = (key: string) => ({ authorization: `Bearer ${key}` });
  // 'q<n>' is one or two prompt tokens; the upstream reports 7 + 3 for every chat.
  const chat = (router: TestRouter, key: string, maxTokens: number, extra: Record<string, unknown> = {}) =>
    router.post(
      '/v1/chat/completions',
      { model: 'remote', messages: [{ role: 'user', content: fresh() }], max_tokens: maxTokens, ...extra },
      auth(key),
    );
  const text = (router: TestRouter, key: string, maxTokens: number) =>
    router.post(
      '/api/inference/text',
      { model_id: 'remote', input: fresh(), parameters: { max_tokens: maxTokens } },
      auth(key),
    );
  const metric = async (name: string) => (await one.metric(name)) + (await two.metric(name));

  it('reserves prompt + max_tokens across replicas, settles from real usage, and refuses past the limit', async () => {
    // Each reserves 61 or 62 of alice's 100 and uses 10: without settlement the second would not fit.
    expect((await chat(one, ALICE, 60)).status).to.equal(200);
    expect((await chat(two, ALICE, 60)).status).to.equal(200);
    const calls = upstream.requests.length;
    // 20 used: 80 remain, and 85 + the prompt do not fit.
    const refused = await chat(two, ALICE, 85);
    expect(refused.status).to.equal(429);
    expect(refused.body.error).to.include({ type: 'rate_limit_error', code: 'token_limit_exceeded' });
    expect(refused.headers.get('x-ratelimit-limit-tokens')).to.equal('100');
    expect(refused.headers.get('x-ratelimit-remaining-tokens')).to.equal('80');
    expect(refused.headers.get('x-ratelimit-reset-tokens')).to.match(/^(\d+h)?(\d+m)?\d+(\.\d+)?s$/);
    expect(Number(refused.headers.get('retry-after'))).to.be.within(1, 2 * 3600);
    const rest = await text(one, ALICE, 85);
    expect(rest.status).to.equal(429);
    expect(rest.body.error.code).to.equal('token_limit_exceeded');
    expect(rest.body.error.details).to.include({ caller: 'alice', limit: 100, remaining: 80 });
    expect(rest.headers.get('x-ratelimit-remaining-tokens')).to.equal('80');
    const stream = await chat(one, ALICE, 85, { stream: true });
    expect(stream.status).to.equal(429);
    expect(upstream.requests.length).to.equal(calls);
    // What fits still passes: 20 + 61 ≤ 100.
    expect((await text(two, ALICE, 60)).status).to.equal(200);
    expect(await metric('router_budget_refused_total{caller="alice",budget="tokens"}')).to.equal(3);
  });

  it('settles a stream from the usage it reported when it ended', async () => {
    // Each reserves 81 or 82 of erin's 100; a stream of two words uses about 9.
    for (let i = 0; i < 3; i++) {
      const streamed = await chat(one, ERIN, 80, { stream: true, stream_options: { include_usage: true } });
      expect(streamed.status).to.equal(200);
      expect(String(streamed.body)).to.include('data: [DONE]');
    }
  });

  it('counts spend per UTC day across replicas, priced with the model, settled on the real usage', async () => {
    // Estimate: 1-2 prompt tokens at 1/1k + 5 at 2/1k ≈ 0.011; real: 7 at 1/1k + 3 at 2/1k = 0.013.
    expect((await chat(one, BOB, 5)).status).to.equal(200);
    expect((await chat(two, BOB, 5)).status).to.equal(200);
    // 0.026 spent: one more does not fit under 0.03.
    const refused = await chat(one, BOB, 5);
    expect(refused.status).to.equal(429);
    expect(refused.body.error.code).to.equal('spend_limit_exceeded');
    expect(refused.body.error.details).to.include({
      caller: 'bob',
      period: 'day',
      limit: 0.03,
      spent: 0.026,
    });
    const untilMidnight =
      (Date.UTC(new Date().getUTCFullYear(), new Date().getUTCMonth(), new Date().getUTCDate() + 1) -
        Date.now()) /
      1000;
    expect(Number(refused.headers.get('retry-after'))).to.be.within(untilMidnight - 60, untilMidnight + 60);
    // Another caller is not affected.
    expect((await chat(two, CAROL, 5)).status).to.equal(200);
  });

  it('runs batch items against the token budget as they run: the rest wait, none fails', async () => {
    const refusedBefore = await metric('router_budget_refused_total{caller="carol"');
    const calls = upstream.requests.length;
    // carol has 1000 tokens (10 used above); each item reserves 41 or 42 and uses 10.
    const items = Array.from({ length: 1000 }, () => ({
      type: 'text',
      model_id: 'remote',
      input: fresh(),
      parameters: { max_tokens: 40 },
    }));
    const batch = await one.post('/api/inference/batch', { requests: items }, auth(CAROL));
    expect(batch.status).to.equal(202);
    const statusUrl = batch.body.status_url as string;
    const get = async () =>
      (await fetch(`${two.url}${statusUrl}?limit=1`, { headers: auth(CAROL) }).then((r) => r.json())) as {
        status: string;
        progress: { succeeded: number; failed: number };
      };
    // Every item either ran or was refused by the budget and put back (its next try is minutes away).
    const job = await eventually(
      async () => {
        const view = await get();
        const refused = (await metric('router_budget_refused_total{caller="carol"')) - refusedBefore;
        return view.progress.succeeded + refused >= 1000 ? view : undefined;
      },
      'every item run or refused',
      90_000,
    );
    const { succeeded, failed } = job.progress;
    expect(failed).to.equal(0);
    // 10 tokens were used before and each item uses 10: never more than 99 items.
    expect(succeeded).to.be.within(1, 99);
    expect(job.status).to.equal('running');
    expect(upstream.requests.length - calls).to.equal(succeeded);
  });

  it('counts batch items against the request limit as they run (a batch is no longer one request)', async () => {
    const calls = upstream.requests.length;
    const items = Array.from({ length: 20 }, () => ({ type: 'text', model_id: 'remote', input: fresh() }));
    // dave may make 6 requests: the submission is one, so 5 items run and 15 wait (ops reads the job: a read
    // by dave would be a request too).
    const batch = await two.post('/api/inference/batch', { requests: items }, auth(DAVE));
    expect(batch.status).to.equal(202);
    const statusUrl = batch.body.status_url as string;
    const view = (): Promise<any> =>
      fetch(`${one.url}${statusUrl}?limit=1`, { headers: auth(OPS) }).then((r) => r.json());
    const job = await eventually(
      async () => {
        const refused = await metric('router_rate_limited_total{caller="dave"}');
        const current = await view();
        return refused >= 15 && current.progress.succeeded >= 5 ? current : undefined;
      },
      '5 items run and 15 refused by the request limit',
      60_000,
    );
    expect(job.progress).to.include({ succeeded: 5, failed: 0 });
    expect(job.status).to.equal('running');
    expect(upstream.requests.length - calls).to.equal(5);
  });
});
