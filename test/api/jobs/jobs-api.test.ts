/**
 * The jobs API through the router's HTTP API, on both queues (in-process; BullMQ on the shared Redis),
 * against a loopback OpenAI-compatible upstream: text, chat and analyze items, `"async": true`,
 * idempotency keys, cancellation, and items metered like live requests.
 */
import { expect } from 'chai';
import { eventually } from '../../support/eventually.js';
import { deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../../support/redis.js';
import { openaiModel, startRouter, type TestRouter } from '../router/harness.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { untilFinished } from './poll.js';

const queues: { name: string; env: () => Record<string, string>; redis: boolean }[] = [
  { name: 'in-process queue', env: () => ({}), redis: false },
  {
    name: 'BullMQ on Redis',
    env: () => ({ REDIS_URL, REDIS_KEY_PREFIX: uniquePrefix('jobs-api') }),
    redis: true,
  },
];

for (const queue of queues) {
  describe(`api/jobs: the jobs API (${queue.name})`, function () {
    this.timeout(60_000);
    let upstream: FakeOpenAI;
    let router: TestRouter;
    let env: Record<string, string>;
    let release: () => void = () => undefined;

    const del = async (path: string) => {
      const res = await fetch(`${router.url}${path}`, { method: 'DELETE' });
      return { status: res.status, body: (await res.json()) as any };
    };
    const done = (url: string) => untilFinished(router.get, url);

    before(async function () {
      if (queue.redis) await requireRedis(this);
      upstream = await startFakeOpenAI();
      env = queue.env();
      router = await startRouter([openaiModel('up', upstream.baseURL)], { ...env, BATCH_CONCURRENCY: '1' });
    });
    after(async () => {
      release();
      await router?.close();
      await upstream?.close();
      if (env?.REDIS_KEY_PREFIX) await deleteKeys(REDIS_URL, env.REDIS_KEY_PREFIX);
    });

    it('runs text, chat and analyze items like live requests and answers each in its own shape', async () => {
      const before = await router.metric('router_inference_requests_total{operation="generate",model="up"');
      const accepted = await router.post('/api/inference/batch', {
        priority: 'critical',
        requests: [
          { type: 'text', custom_id: 't', model_id: 'up', input: 'once upon', parameters: { max_tokens: 5 } },
          {
            type: 'chat',
            custom_id: 'c',
            model_id: 'up',
            messages: [
              { role: 'system', content: 'be brief' },
              { role: 'user', content: [{ type: 'text', text: 'hello' }] },
            ],
          },
          { type: 'analyze', custom_id: 'e', model_id: 'up', task: 'embed', input: ['a', 'b'] },
        ],
      });
      expect(accepted.status).to.equal(202);
      expect(accepted.body).to.deep.include({ priority: 'critical', total: 3, created: true });
      expect(accepted.headers.get('location')).to.equal(accepted.body.status_url);
      const job = await done(accepted.body.status_url);
      expect(job.status).to.equal('completed');
      const [text, chat, embed] = job.results;
      expect(text).to.deep.include({ custom_id: 't', status: 'succeeded' });
      expect(text.response).to.deep.include({ model_id: 'up', output: 'echo: once upon' });
      expect(chat.response).to.deep.include({ object: 'chat.completion', model: 'up' });
      expect(chat.response.choices[0].message).to.deep.equal({ role: 'assistant', content: 'echo: hello' });
      expect(embed.response.results.map((r: { dimensions: number }) => r.dimensions)).to.deep.equal([3, 3]);
      // The chat item's messages reached the upstream as sent.
      const sent = upstream.requests.find((r) => (r.body.messages as unknown[])?.length === 2);
      expect(sent?.body.messages).to.deep.equal([
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello' },
      ]);
      const after = await router.metric('router_inference_requests_total{operation="generate",model="up"');
      expect(after - before).to.equal(2);
    });

    it("limits: 400 naming the bad item, 413 past BATCH_MAX_ITEMS; an unknown model is that item's error", async () => {
      const invalid = await router.post('/api/inference/batch', {
        requests: [
          { type: 'text', model_id: 'up', input: 'fine' },
          { type: 'analyze', model_id: 'up', task: 'guess', input: 'x' },
        ],
      });
      expect([invalid.status, invalid.body.error.code]).to.deep.equal([400, 'invalid_request']);
      expect(invalid.body.error.details.problems[0].path).to.equal('body.requests.1.task');
      const many = Array.from({ length: 1001 }, () => ({ type: 'text', model_id: 'up', input: 'x' }));
      const tooMany = await router.post('/api/inference/batch', { requests: many });
      expect([tooMany.status, tooMany.body.error.code]).to.deep.equal([413, 'payload_too_large']);
      expect(tooMany.body.error.details).to.deep.equal({ max_items: 1000 });
      const accepted = await router.post('/api/inference/batch', {
        requests: [{ type: 'text', model_id: 'nowhere', input: 'x' }],
      });
      const job = await done(accepted.body.status_url);
      expect(job.status).to.equal('failed');
      expect(job.results[0]).to.deep.include({ status: 'failed' });
      expect(job.results[0].error.code).to.equal('model_not_found');
    });

    it('"async": true on /api/inference/text answers 202 with a one-item job', async () => {
      const res = await router.post('/api/inference/text', {
        model_id: 'up',
        input: 'later please',
        async: true,
      });
      expect(res.status).to.equal(202);
      expect(res.body).to.deep.include({ total: 1, priority: 'standard', created: true });
      const job = await done(res.body.status_url);
      expect(job.results[0].response.output).to.equal('echo: later please');
    });

    it('an idempotency key (body or header) answers 200 with the same job; other items with it get 409', async () => {
      const body = { requests: [{ type: 'text', model_id: 'up', input: 'only once' }] };
      const key = `k-${Date.now()}`;
      const first = await router.post('/api/inference/batch', { ...body, idempotency_key: key });
      const again = await router.post('/api/inference/batch', body, { 'idempotency-key': key });
      expect([first.status, again.status]).to.deep.equal([202, 200]);
      expect(again.body).to.deep.include({ job_id: first.body.job_id, created: false });
      const other = await router.post(
        '/api/inference/batch',
        { requests: [{ type: 'text', model_id: 'up', input: 'something else' }] },
        { 'idempotency-key': key },
      );
      expect(other.status).to.equal(409);
      expect(other.body.error).to.deep.include({ code: 'idempotency_conflict' });
      expect(other.body.error.details).to.deep.equal({ idempotency_key: key, job_id: first.body.job_id });
      await done(first.body.status_url);
      expect(upstream.requests.filter((r) => JSON.stringify(r.body).includes('only once'))).to.have.length(1);
    });

    it('DELETE and POST …/cancel cancel the items not started; the running one finishes', async () => {
      let held = 0;
      const gate = new Promise<void>((ok) => {
        release = ok;
      });
      upstream.hold = () => {
        held += 1;
        return gate;
      };
      const accepted = await router.post('/api/inference/batch', {
        requests: ['one', 'two', 'three'].map((input) => ({ type: 'text', model_id: 'up', input })),
      });
      await eventually(async () => (held === 1 ? true : undefined), 'the first item at the upstream');
      const url = `/api/inference/jobs/${accepted.body.job_id}`;
      const cancelled = await del(url);
      expect(cancelled.status).to.equal(200);
      expect(cancelled.body).to.deep.include({ status: 'running', cancel_requested: true });
      // The job without its results, and no next page to follow.
      expect(cancelled.body.page).to.deep.equal({ offset: 0, limit: 0, total: 3 });
      expect((await router.post(`${url}/cancel`, {})).status).to.equal(200);
      release();
      upstream.hold = undefined;
      const job = await done(url);
      expect(job.status).to.equal('cancelled');
      expect(job.results.map((r: { status: string }) => r.status)).to.deep.equal([
        'succeeded',
        'cancelled',
        'cancelled',
      ]);
      expect(held).to.equal(1);
      const missing = await del('/api/inference/jobs/job_missing');
      expect([missing.status, missing.body.error.code]).to.deep.equal([404, 'job_not_found']);
    });
  });
}
