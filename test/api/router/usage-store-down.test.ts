/**
 * The usage and metrics reports while the usage store (Redis) is away: every report that reads it answers
 * 503 usage_store_unavailable with Retry-After, like the jobs API, and answers again once Redis is back,
 * without a restart.
 */
import { expect } from 'chai';
import { eventually } from '../../support/eventually.js';
import { RedisServer } from '../../support/redis.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { openaiModel, startRouter, type TestRouter } from './harness.js';

const REPORTS = [
  '/api/metrics',
  '/api/metrics/usage',
  '/api/metrics/cost',
  '/api/metrics/models/up',
  '/api/models/up/metrics',
];

describe('api/router: usage reports while the usage store is down', function () {
  this.timeout(30_000);
  let redis: RedisServer;
  let upstream: FakeOpenAI;
  let router: TestRouter;
  let down = false;

  before(async () => {
    redis = await RedisServer.start();
    upstream = await startFakeOpenAI();
    router = await startRouter([openaiModel('up', upstream.baseURL)], {
      REDIS_URL: redis.url,
      USAGE_FLUSH_MS: '100',
      // No batch worker here: the reports are the API's, and a BullMQ worker closed while its connection
      // waits out a Redis restart does not close.
      ROUTER_MODE: 'api',
    });
  });
  after(async () => {
    // The router's last flushes and the job queue wait for a Redis; give them one even after a failure.
    if (down) await redis.start();
    await router?.close();
    await upstream?.close();
    await redis?.kill();
  });

  it('answers 503 usage_store_unavailable with Retry-After on every report, then recovers', async () => {
    expect((await router.post('/api/inference/text', { model_id: 'up', input: 'hi' })).status).to.equal(200);
    for (const path of REPORTS) {
      const r = await router.get(path);
      expect(r.status, `${path} ${JSON.stringify(r.body)}`).to.equal(200);
    }

    await redis.kill();
    down = true;
    for (const path of REPORTS) {
      const res = await router.get(path);
      expect(res.status, path).to.equal(503);
      expect(res.headers.get('retry-after'), path).to.equal('1');
      expect(res.body.error, path).to.deep.include({ code: 'usage_store_unavailable' });
      expect(res.body.error.message, path).to.match(/usage store/i);
    }

    await redis.start();
    down = false;
    await eventually(async () => {
      for (const path of REPORTS) if ((await router.get(path)).status !== 200) return undefined;
      return true;
    }, 'the reports answer again');
  });
});
