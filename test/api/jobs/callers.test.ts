/**
 * Batch items are metered to the caller that submitted them (its router API key), on the shared Redis
 * queue as in a cluster: the usage report counts a batch's items and an async request under that caller.
 */
import { expect } from 'chai';
import { deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../../support/redis.js';
import { openaiModel, startRouter, type TestRouter } from '../router/harness.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { untilFinished } from './poll.js';

const KEY = 'sk-router-batch-team-0123456789';
const OTHER_KEY = 'sk-router-other-team-0123456789';

describe('api/jobs: batch items are metered to their submitter', function () {
  this.timeout(60_000);
  const prefix = uniquePrefix('job-callers');
  let upstream: FakeOpenAI;
  let router: TestRouter;
  const headers = { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' };
  const call = async (path: string, body?: unknown) => {
    const res = await fetch(`${router.url}${path}`, {
      method: body ? 'POST' : 'GET',
      headers,
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  before(async function () {
    await requireRedis(this);
    upstream = await startFakeOpenAI();
    router = await startRouter([openaiModel('remote', upstream.baseURL)], {
      ROUTER_API_KEYS: `batch-team:${KEY},other-team:${OTHER_KEY}`,
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
    });
  });
  after(async () => {
    await router?.close();
    await upstream?.close();
    await deleteKeys(REDIS_URL, prefix);
  });

  it('counts the items of a batch and an async request under the caller that sent them', async () => {
    const batch = await call('/api/inference/batch', {
      requests: ['one', 'two'].map((input) => ({ type: 'text', model_id: 'remote', input })),
    });
    const single = await call('/api/inference/text', { model_id: 'remote', input: 'three', async: true });
    expect([batch.status, single.status]).to.deep.equal([202, 202]);
    for (const url of [batch.body.status_url, single.body.status_url]) {
      expect((await untilFinished(call, url)).status).to.equal('completed');
    }
    const usage = (await call('/api/metrics/usage')).body;
    const callers = Object.fromEntries(usage.callers.map((c: any) => [c.caller, c.requests]));
    expect(callers).to.deep.equal({ 'batch-team': 3 });
  });

  it("answers another caller's job as unknown: it can neither read nor cancel it", async () => {
    const batch = await call('/api/inference/batch', {
      requests: [{ type: 'text', model_id: 'remote', input: 'mine' }],
    });
    expect(batch.status).to.equal(202);
    const url = batch.body.status_url as string;
    const other = { authorization: `Bearer ${OTHER_KEY}` };
    const read = await fetch(`${router.url}${url}`, { headers: other });
    const cancelled = await fetch(`${router.url}${url}`, { method: 'DELETE', headers: other });
    for (const res of [read, cancelled]) {
      expect(res.status).to.equal(404);
      expect(((await res.json()) as any).error.code).to.equal('job_not_found');
    }
    const own = await untilFinished(call, url);
    expect(own).to.include({ status: 'completed', caller: 'batch-team' });
  });
});
