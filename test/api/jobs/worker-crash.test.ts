/**
 * Real processes on the shared Redis: a router that only serves the API (ROUTER_MODE=api) and worker
 * processes (ROUTER_MODE=worker, `node api/src/main.ts` as the chart runs them). A worker SIGKILLed with
 * items in flight: another worker finishes the job, every item with exactly one result. An item whose
 * model keeps failing ends as that item's error after its tries, and the job completes.
 */
import { expect } from 'chai';
import { Redis } from 'ioredis';
import { eventually } from '../../support/eventually.js';
import { deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../../support/redis.js';
import { type RouterProcess, spawnRouter } from '../../support/router-process.js';
import { openaiModel, startRouter, type TestRouter } from '../router/harness.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { untilFinished } from './poll.js';

describe('api/jobs: worker processes (SIGKILL mid-batch, items that keep failing)', function () {
  this.timeout(90_000);
  const prefix = uniquePrefix('worker-crash');
  let upstream: FakeOpenAI;
  let broken: FakeOpenAI;
  let api: TestRouter;
  const workers: RouterProcess[] = [];
  let release: () => void = () => undefined;

  const shared = () => ({
    REDIS_URL,
    REDIS_KEY_PREFIX: prefix,
    BATCH_LOCK_MS: '1500',
    BATCH_RETRY_DELAY_MS: '20',
  });
  const startWorker = async () => {
    const worker = await spawnRouter({
      ...shared(),
      ROUTER_MODE: 'worker',
      MODELS_DIR: api.dir,
      LOCAL_RUNTIMES: 'false',
      TEST_KEY: 'sk-test',
      BATCH_CONCURRENCY: '4',
      BATCH_MODEL_CONCURRENCY: '4',
      // Held items wait at the upstream as long as the test needs: no attempt may time out and be sent
      // again (that would add requests to the count of held ones on a slow machine).
      ATTEMPT_TIMEOUT_MS: '120000',
      REQUEST_TIMEOUT_MS: '120000',
      RETRY_BASE_DELAY_MS: '5',
    });
    workers.push(worker);
    return worker;
  };
  const finished = (url: string) => untilFinished(api.get, url, '?limit=1000');

  before(async function () {
    await requireRedis(this);
    [upstream, broken] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
    broken.fault = 'http500';
    api = await startRouter([openaiModel('up', upstream.baseURL), openaiModel('broken', broken.baseURL)], {
      ...shared(),
      ROUTER_MODE: 'api',
    });
  });
  after(async () => {
    release();
    for (const worker of workers) await worker.stop('SIGKILL');
    await api?.close();
    await Promise.all([upstream?.close(), broken?.close()]);
    await deleteKeys(REDIS_URL, prefix);
  });

  it('a worker killed with items in flight: another finishes the job, one result per item', async () => {
    const gate = new Promise<void>((ok) => {
      release = ok;
    });
    let held = 0;
    // Items from 10 on wait at the upstream until released: the first worker dies holding four of them.
    upstream.hold = (body) => {
      const n = Number(/item (\d+)/.exec(JSON.stringify(body.messages))?.[1]);
      if (!(n >= 10)) return undefined;
      held += 1;
      return gate;
    };
    const first = await startWorker();
    const probe = await fetch(`${first.url}/api/models`);
    expect(probe.status, 'a worker serves no API').to.equal(404);
    expect((await fetch(`${first.url}/healthz`)).status).to.equal(200);

    const items = Array.from({ length: 30 }, (_, i) => ({
      type: 'text',
      model_id: 'up',
      input: `item ${i}`,
    }));
    const accepted = await api.post('/api/inference/batch', { requests: items });
    expect(accepted.status).to.equal(202);
    await eventually(async () => {
      const job = (await api.get(accepted.body.status_url)).body;
      return job.progress.completed === 10 && held === 4 ? true : undefined;
    }, 'ten items done and four stuck in the first worker');
    const metrics = await (await fetch(`${first.url}/metrics`)).text();
    expect(metrics).to.match(/router_batch_items_total\{outcome="succeeded"\} 10/);

    first.process.kill('SIGKILL');
    await first.stop();
    release();
    await startWorker();
    const job = await finished(accepted.body.status_url);

    expect(job.status).to.equal('completed');
    expect(job.progress).to.deep.include({ total: 30, completed: 30, succeeded: 30, failed: 0 });
    expect(job.results.map((r: { index: number }) => r.index)).to.deep.equal([...Array(30).keys()]);
    job.results.forEach((r: { response: { output: string } }, i: number) => {
      expect(r.response.output).to.equal(`echo: item ${i}`);
    });
    // The four items the dead worker held ran again (at least once), yet each has one stored result.
    const sent = upstream.requests.map((r) => JSON.stringify(r.body.messages));
    expect(sent.length).to.be.at.least(34);
    const admin = new Redis(REDIS_URL);
    try {
      expect(await admin.hlen(`${prefix}jobs:${accepted.body.job_id}:results`)).to.equal(30);
    } finally {
      admin.disconnect();
    }
  });

  it('an item whose model keeps failing ends as its error after its tries; the job completes', async () => {
    upstream.hold = undefined;
    if (workers.every((w) => w.process.exitCode !== null || w.process.signalCode !== null))
      await startWorker();
    const accepted = await api.post('/api/inference/batch', {
      requests: [
        { type: 'text', model_id: 'up', input: 'fine' },
        { type: 'text', model_id: 'broken', input: 'poison', use_fallbacks: false },
      ],
    });
    const job = await finished(accepted.body.status_url);
    expect(job.status).to.equal('completed');
    expect(job.results[0].status).to.equal('succeeded');
    expect(job.results[1].status).to.equal('failed');
    expect(job.results[1].error.code).to.be.oneOf(['upstream_error', 'model_unavailable']);
    // Three tries of the item (BATCH_ITEM_ATTEMPTS), each through the router's own retries.
    expect(broken.requests.length).to.be.at.least(3);
  });
});
