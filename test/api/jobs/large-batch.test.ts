/**
 * A 10,000-item batch through a router process on Redis: it completes, every item once, and the router's
 * resident memory after it is within a bound of before it (items and results live in Redis, not in the
 * router). The router runs with its old space capped at 192 MB, so V8 collects before it grows the heap:
 * RSS then follows live memory instead of GC timing (uncapped, a 10,000-item run swings RSS by ±100 MB of
 * garbage not yet collected), and a router that kept what it ran would run out of heap.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { eventually } from '../../support/eventually.js';
import { deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../../support/redis.js';
import { type RouterProcess, spawnRouter } from '../../support/router-process.js';
import { openaiModel } from '../router/harness.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';

const ITEMS = 10_000;
const MAX_GROWTH_MB = 48;

describe('api/jobs: a 10,000-item batch', function () {
  this.timeout(180_000);
  const prefix = uniquePrefix('large-batch');
  let upstream: FakeOpenAI;
  let router: RouterProcess;
  let dir: string;

  const call = async (path: string, body?: unknown) => {
    const res = await fetch(`${router.url}${path}`, {
      method: body ? 'POST' : 'GET',
      ...(body ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as any };
  };
  const rssMb = async () => {
    const text = await (await fetch(`${router.url}/metrics`)).text();
    const bytes = /^process_resident_memory_bytes (\d+)/m.exec(text)?.[1];
    return Number(bytes) / 2 ** 20;
  };
  const runBatch = async (n: number) => {
    const requests = Array.from({ length: n }, (_, i) => ({
      type: 'text',
      model_id: 'up',
      input: `item ${i}`,
    }));
    const accepted = await call('/api/inference/batch', { priority: 'background', requests });
    expect(accepted.status).to.equal(202);
    return eventually(
      async () => {
        const job = (await call(`${accepted.body.status_url}?limit=1`)).body;
        return job.status === 'completed' ? { ...job, url: accepted.body.status_url } : undefined;
      },
      `${n} items`,
      150_000,
    );
  };

  before(async function () {
    await requireRedis(this);
    upstream = await startFakeOpenAI();
    dir = await mkdtemp(join(tmpdir(), 'large-batch-'));
    await writeFile(join(dir, 'up.yaml'), openaiModel('up', upstream.baseURL));
    router = await spawnRouter({
      MODELS_DIR: dir,
      LOCAL_RUNTIMES: 'false',
      TEST_KEY: 'sk-test',
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      BATCH_MAX_ITEMS: String(ITEMS),
      BATCH_CONCURRENCY: '16',
      BATCH_MODEL_CONCURRENCY: '16',
      CACHE_TTL_SECONDS: '0',
      LOG_LEVEL: 'info',
      NODE_OPTIONS: '--max-old-space-size=192',
    });
  });
  after(async () => {
    await router?.stop();
    await upstream?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
    await deleteKeys(REDIS_URL, prefix);
  });

  it('completes with every item once and flat router memory', async () => {
    await runBatch(1000); // warm-up: code paths compiled, pools and buffers at their working size
    const before = await rssMb();
    const job = await runBatch(ITEMS);
    const after = await rssMb();
    expect(job.progress).to.deep.include({ total: ITEMS, completed: ITEMS, succeeded: ITEMS, failed: 0 });
    let seen = 0;
    for (let offset = 0; offset < ITEMS; offset += 1000) {
      const page = (await call(`${job.url}?offset=${offset}&limit=1000`)).body;
      for (const r of page.results) {
        expect(r.response.output).to.equal(`echo: item ${r.index}`);
        seen += 1;
      }
    }
    expect(seen).to.equal(ITEMS);
    console.log(
      `      router RSS ${before.toFixed(0)} MB before, ${after.toFixed(0)} MB after ${ITEMS} items`,
    );
    expect(after - before).to.be.below(MAX_GROWTH_MB);
  });
});
