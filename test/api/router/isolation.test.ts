/**
 * Cross-caller isolation through the router, with two ordinary keys (alice, bob) and an operator key (ops:
 * usage:all, jobs:all): the response cache is partitioned per caller unless the AIModel shares it, usage
 * and cost reports show a caller its own figures, jobs and idempotency keys are the submitter's own. Run on
 * Redis (cache, usage, BullMQ) and in memory (local mode without Redis).
 */
import { expect } from 'chai';
import { eventually } from '../../support/eventually.js';
import { deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../../support/redis.js';
import { untilFinished } from '../jobs/poll.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { openaiModel, startRouter } from './harness.js';

const ALICE = 'sk-router-alice-0123456789';
const BOB = 'sk-router-bob-00123456789';
const OPS = 'sk-router-ops-00123456789';
const CAROL = 'sk-router-carol-0123456789';
const KEYS = [
  `alice:${ALICE}`,
  `bob:${BOB}`,
  `ops:${OPS}:inference,batch,usage:own,usage:all,jobs:all`,
  `carol:${CAROL}:inference,usage:own,models=alpha`,
].join(',');

type Reply = { status: number; headers: Headers; body: any };

function isolationSuite(store: 'redis' | 'memory'): void {
  describe(`api/router: cross-caller isolation (${store})`, function () {
    this.timeout(60_000);
    const prefix = uniquePrefix('isolation');
    let upstream: FakeOpenAI;
    let url: string;
    let close: () => Promise<void>;
    let n = 0;
    const fresh = () => `a private question ${Date.now()} ${n++}`;

    const call = async (key: string, path: string, init: { method?: string; body?: unknown } = {}) => {
      const res = await fetch(`${url}${path}`, {
        method: init.method ?? (init.body ? 'POST' : 'GET'),
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        ...(init.body ? { body: JSON.stringify(init.body) } : {}),
      });
      return { status: res.status, headers: res.headers, body: (await res.json()) as any } as Reply;
    };
    const ask = (key: string, input: string, model = 'alpha') =>
      call(key, '/api/inference/text', { body: { model_id: model, input, parameters: { temperature: 0 } } });

    before(async function () {
      if (store === 'redis') await requireRedis(this);
      upstream = await startFakeOpenAI();
      const router = await startRouter(
        [
          openaiModel('alpha', upstream.baseURL),
          openaiModel('public', upstream.baseURL, '  cache: {scope: shared}'),
        ],
        {
          ROUTER_API_KEYS: KEYS,
          ...(store === 'redis'
            ? { REDIS_URL, REDIS_KEY_PREFIX: prefix, REDIS_TIMEOUT_MS: '2000', USAGE_FLUSH_MS: '100' }
            : {}),
        },
      );
      url = router.url;
      close = () => router.close();
    });
    after(async () => {
      await close?.();
      await upstream?.close();
      if (store === 'redis') await deleteKeys(REDIS_URL, prefix);
    });

    it("never answers bob with alice's cached answer: her exact prompt is a MISS for him", async () => {
      const input = fresh();
      expect((await ask(ALICE, input)).headers.get('x-cache')).to.equal('MISS');
      expect((await ask(ALICE, input)).headers.get('x-cache')).to.equal('HIT');
      const calls = upstream.requests.length;
      const bob = await ask(BOB, input);
      expect(bob.status).to.equal(200);
      expect(bob.headers.get('x-cache')).to.equal('MISS');
      expect(bob.body.cache).to.not.equal('HIT');
      expect(upstream.requests.length).to.equal(calls + 1);
      expect((await ask(BOB, input)).headers.get('x-cache')).to.equal('HIT');
    });

    it('shares answers between callers for a model with spec.cache.scope shared', async () => {
      const input = fresh();
      const alice = await ask(ALICE, input, 'public');
      expect(alice.headers.get('x-cache')).to.equal('MISS');
      const calls = upstream.requests.length;
      const bob = await ask(BOB, input, 'public');
      expect(bob.headers.get('x-cache')).to.equal('HIT');
      expect(bob.body.output).to.equal(alice.body.output);
      expect(upstream.requests.length).to.equal(calls);
    });

    it('computes identical concurrent misses of two callers apart (the coalescing key is partitioned)', async () => {
      const input = fresh();
      let release!: () => void;
      const released = new Promise<void>((ok) => {
        release = ok;
      });
      const calls = upstream.requests.length;
      upstream.hold = () => released;
      try {
        const answers = Promise.all([ask(ALICE, input), ask(BOB, input)]);
        // Both reach the upstream while neither has an answer: nothing was shared between them.
        await eventually(
          async () => upstream.requests.length === calls + 2 || undefined,
          'two upstream calls',
        );
        release();
        const [alice, bob] = await answers;
        expect([alice.status, bob.status]).to.deep.equal([200, 200]);
      } finally {
        upstream.hold = undefined;
        release();
      }
    });

    it("shows a caller its own usage, cost and metrics; usage:all sees every caller's or the one named", async () => {
      await ask(ALICE, fresh());
      await ask(BOB, fresh());
      const usage = async (key: string, query = '') => {
        const res = await call(key, `/api/metrics/usage${query}`);
        expect(res.status, `${key} ${query}`).to.equal(200);
        return res.body;
      };
      const all = await eventually(async () => {
        const body = await usage(OPS);
        return body.callers.length === 2 ? body : undefined;
      }, 'both callers recorded');
      expect(all.view).to.deep.equal({ scope: 'all' });
      const mine = await usage(ALICE);
      const his = await usage(BOB);
      expect(mine.view).to.deep.equal({ scope: 'own', caller: 'alice' });
      expect(mine.callers.map((c: any) => c.caller)).to.deep.equal(['alice']);
      expect(his.callers.map((c: any) => c.caller)).to.deep.equal(['bob']);
      expect(mine.totals.requests + his.totals.requests).to.equal(all.totals.requests);
      const named = await usage(OPS, '?caller=alice');
      expect(named.view).to.deep.equal({ scope: 'all', caller: 'alice' });
      expect({ ...named, view: undefined }).to.deep.equal({ ...mine, view: undefined });
      expect((await usage(BOB, '?caller=bob')).totals).to.deep.equal(his.totals);

      const cost = (await call(ALICE, '/api/metrics/cost')).body;
      expect(cost.view).to.deep.equal({ scope: 'own', caller: 'alice' });
      expect(cost.callers.map((c: any) => c.caller)).to.deep.equal(['alice']);
      const overview = (await call(BOB, '/api/metrics')).body;
      expect(overview.view).to.deep.equal({ scope: 'own', caller: 'bob' });
      expect(overview.last_24h.requests_count).to.equal(his.totals.requests);
      for (const path of ['/api/metrics/models/alpha', '/api/models/alpha/metrics']) {
        const own = (await call(ALICE, path)).body;
        const every = (await call(OPS, path)).body;
        const alpha = (body: any) => body.models.find((m: any) => m.model_id === 'alpha')?.requests ?? 0;
        expect(own.view, path).to.deep.equal({ scope: 'own', caller: 'alice' });
        expect(own.requests_count, path).to.equal(alpha(mine));
        expect(every.requests_count, path).to.equal(alpha(all));
      }
    });

    it("refuses another caller's figures to a key without usage:all (403 naming the scope)", async () => {
      for (const path of [
        '/api/metrics?caller=alice',
        '/api/metrics/usage?caller=alice',
        '/api/metrics/cost?caller=alice',
        '/api/metrics/models/alpha?caller=alice',
        '/api/models/alpha/metrics?caller=alice',
      ]) {
        const res = await call(BOB, path);
        expect(res.status, path).to.equal(403);
        expect(res.body.error.code, path).to.equal('permission_denied');
        expect(res.body.error.details.scope, path).to.equal('usage:all');
      }
      const bad = await call(OPS, '/api/metrics/usage?caller=Not%20A%20Caller');
      expect(bad.status).to.equal(400);
      expect(bad.body.error.code).to.equal('invalid_request');
    });

    it('shows a key with a model allow-list the metrics of its models only', async () => {
      const overview = await call(CAROL, '/api/metrics');
      expect(overview.status).to.equal(200);
      expect(overview.body.models.map((m: any) => m.model_id)).to.deep.equal(['alpha']);
      expect((await call(CAROL, '/api/metrics/models/alpha')).status).to.equal(200);
      const hidden = await call(CAROL, '/api/metrics/models/public');
      expect(hidden.status).to.equal(404);
      expect(hidden.body.error.code).to.equal('model_not_found');
    });

    it("answers bob's read and cancel of alice's job as unknown; jobs:all reads and cancels it", async () => {
      const batch = await call(ALICE, '/api/inference/batch', {
        body: { requests: [{ type: 'text', model_id: 'alpha', input: fresh() }] },
      });
      expect(batch.status).to.equal(202);
      const statusUrl = batch.body.status_url as string;
      for (const method of ['GET', 'DELETE']) {
        const res = await call(BOB, statusUrl, { method });
        expect(res.status, method).to.equal(404);
        expect(res.body.error.code, method).to.equal('job_not_found');
      }
      await untilFinished((path) => call(ALICE, path), statusUrl);
      const seen = await call(OPS, statusUrl);
      expect(seen.status).to.equal(200);
      expect(seen.body).to.include({ caller: 'alice', status: 'completed' });
      expect((await call(OPS, statusUrl, { method: 'DELETE' })).status).to.equal(200);
    });

    it('keeps idempotency keys per caller: the same key from bob makes his own job', async () => {
      const key = `nightly-${Date.now()}`;
      const submit = (caller: string, input: string) =>
        call(caller, '/api/inference/batch', {
          body: { idempotency_key: key, requests: [{ type: 'text', model_id: 'alpha', input }] },
        });
      const alice = await submit(ALICE, 'for alice');
      const bob = await submit(BOB, 'for bob');
      expect([alice.status, bob.status]).to.deep.equal([202, 202]);
      expect(bob.body.job_id).to.not.equal(alice.body.job_id);
      const again = await submit(ALICE, 'for alice');
      expect(again.status).to.equal(200);
      expect(again.body.job_id).to.equal(alice.body.job_id);
    });
  });
}

isolationSuite('redis');
isolationSuite('memory');
