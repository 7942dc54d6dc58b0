/**
 * Redis dies (SIGKILL) in the middle of a batch and comes back from its append-only file (the settings
 * docs/batch.md asks for): meanwhile the jobs API answers 503 job_store_unavailable; afterwards the same
 * router, never restarted, answers again and finishes the batch it had accepted, one result per item.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { eventually } from '../../support/eventually.js';
import { RedisServer } from '../../support/redis.js';
import { openaiModel, startRouter, type TestRouter } from '../router/harness.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { untilFinished } from './poll.js';

describe('api/jobs: a Redis restart during a batch', function () {
  this.timeout(90_000);
  let redis: RedisServer;
  let dir: string;
  let upstream: FakeOpenAI;
  let router: TestRouter;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'redis-aof-'));
    redis = await RedisServer.start({ persistDir: dir });
    upstream = await startFakeOpenAI();
    upstream.delayMs = 40;
    router = await startRouter([openaiModel('up', upstream.baseURL)], {
      REDIS_URL: redis.url,
      BATCH_CONCURRENCY: '2',
      BATCH_MODEL_CONCURRENCY: '2',
      BATCH_LOCK_MS: '2000',
    });
  });
  after(async () => {
    await router?.close();
    await upstream?.close();
    await redis?.kill();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers 503 while Redis is away, then recovers without a restart and loses no accepted item', async () => {
    const items = Array.from({ length: 40 }, (_, i) => ({
      type: 'text',
      model_id: 'up',
      input: `item ${i}`,
    }));
    const accepted = await router.post('/api/inference/batch', { requests: items });
    expect(accepted.status).to.equal(202);
    const url = accepted.body.status_url;
    await eventually(async () => {
      const job = (await router.get(url)).body;
      return job.progress.completed >= 5 ? true : undefined;
    }, 'a few items done');

    await redis.kill();
    const down = await router.get(url);
    expect(down.status).to.equal(503);
    expect(down.headers.get('retry-after')).to.equal('1');
    expect(down.body.error).to.deep.include({ code: 'job_store_unavailable' });
    const refused = await router.post('/api/inference/batch', { requests: items.slice(0, 1) });
    expect([refused.status, refused.body.error.code]).to.deep.equal([503, 'job_store_unavailable']);
    // Live inference does not need Redis: the cache is skipped while it is away.
    expect((await router.post('/api/inference/text', { model_id: 'up', input: 'live' })).status).to.equal(
      200,
    );

    await redis.start();
    const job = await untilFinished(router.get, url, '?limit=100');
    expect(job.status).to.equal('completed');
    expect(job.progress).to.deep.include({ total: 40, completed: 40, succeeded: 40 });
    job.results.forEach((r: { index: number; response: { output: string } }, i: number) => {
      expect([r.index, r.response.output]).to.deep.equal([i, `echo: item ${i}`]);
    });
    const after = await router.post('/api/inference/batch', { requests: items.slice(0, 2) });
    expect(after.status).to.equal(202);
  });
});
