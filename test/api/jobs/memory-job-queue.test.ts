/**
 * The in-process queue: the shared contract, and the caps on what it holds (local mode without Redis keeps
 * every job's requests and results in the router's memory until they expire).
 */
import { expect } from 'chai';
import { pino } from 'pino';
import type { ItemRunner } from '../../../api/src/jobs/job-queue.js';
import { MemoryJobQueue } from '../../../api/src/jobs/memory-job-queue.js';
import type { JobStoreCaps } from '../../../api/src/jobs/memory-store-caps.js';
import { createMetrics } from '../../../api/src/metrics/registry.js';
import { finished, item, jobQueueContract } from './job-queue.contract.js';

const ROOMY: JobStoreCaps = {
  maxItems: 100_000,
  maxItemsPerCaller: 100_000,
  maxBytes: 1 << 30,
  maxBytesPerCaller: 1 << 30,
};

const queueOf = (run: ItemRunner, caps: JobStoreCaps, ttlMs = 60_000) =>
  new MemoryJobQueue({
    run,
    concurrency: 4,
    modelConcurrency: 4,
    attempts: 1,
    retryDelayMs: 10,
    ttlMs,
    caps,
    logger: pino({ level: 'silent' }),
    metrics: createMetrics({ defaultMetrics: false }),
  });

describe('api/jobs/memory-job-queue', () => {
  jobQueueContract(
    async (run, options) =>
      new MemoryJobQueue({
        run,
        ...options,
        caps: ROOMY,
        logger: pino({ level: 'silent' }),
        metrics: createMetrics({ defaultMetrics: false }),
      }),
  );

  describe('caps on what it holds', () => {
    let queue: MemoryJobQueue | undefined;
    let release: () => void = () => undefined;
    let held: Promise<void> = Promise.resolve();
    beforeEach(() => {
      held = new Promise<void>((ok) => {
        release = ok;
      });
    });
    /** Items answer with `size` characters of text; `hold` items wait for release(). */
    const runner: ItemRunner = async (it) => {
      const input = it.type === 'text' ? it.input : '';
      if (input === 'hold') await held;
      const size = /^size:(\d+)$/.exec(input);
      return { output: 'x'.repeat(size ? Number(size[1]) : 1) };
    };
    const start = (caps: Partial<JobStoreCaps>) => {
      queue = queueOf(runner, { ...ROOMY, ...caps });
      return queue;
    };
    const refusal = (q: MemoryJobQueue, items: ReturnType<typeof item>[], caller: string) =>
      q.submit({ items, priority: 'standard', caller }).then(
        () => undefined,
        (err: any) => err,
      );
    afterEach(async () => {
      release();
      await queue?.close();
      queue = undefined;
    });

    it('refuses a batch no store of these caps could hold with 413 job_too_large', async () => {
      const q = start({ maxItemsPerCaller: 3 });
      const err = await refusal(
        q,
        ['a', 'b', 'c', 'd'].map((x) => item(x)),
        'alice',
      );
      expect(err).to.include({ status: 413, code: 'job_too_large' });
      expect(err.details).to.include({ items: 4, max_items: 3 });
      const big = await refusal(start({ maxBytesPerCaller: 2048 }), [item('y'.repeat(4096))], 'alice');
      expect(big).to.include({ status: 413, code: 'job_too_large' });
      expect(q.held()).to.deep.equal({ items: 0, bytes: 0 });
    });

    it("refuses a caller past its share with 429 job_store_full and Retry-After; others' work still fits", async () => {
      const q = start({ maxItemsPerCaller: 2 });
      await q.submit({ items: [item('hold'), item('hold')], priority: 'standard', caller: 'alice' });
      const err = await refusal(q, [item('one more')], 'alice');
      expect(err).to.include({ status: 429, code: 'job_store_full' });
      expect(err.details).to.include({ cap: 'caller', max_items: 2 });
      // Nothing of alice's has finished: room appears no sooner than a TTL from now.
      expect(err.retryAfterSeconds).to.equal(60);
      const bob = await q.submit({ items: [item('b')], priority: 'standard', caller: 'bob' });
      expect(bob.created).to.equal(true);
      expect(q.held('alice').items).to.equal(2);
      expect(q.held('bob').items).to.equal(1);
    });

    it('drops the oldest finished jobs early when the whole store is full, never running ones', async () => {
      const q = start({ maxItems: 3, maxItemsPerCaller: 2 });
      const old = await q.submit({ items: [item('a')], priority: 'standard', caller: 'bob' });
      await finished(q, old.job.job_id);
      const recent = await q.submit({ items: [item('b')], priority: 'standard', caller: 'carol' });
      await finished(q, recent.job.job_id);
      await q.submit({ items: [item('hold')], priority: 'standard', caller: 'alice' });
      // 3 held, alice adds 1: bob's job, the oldest finished, makes room; carol's stays.
      await q.submit({ items: [item('c')], priority: 'standard', caller: 'alice' });
      expect(await q.get(old.job.job_id, { offset: 0, limit: 0 })).to.equal(undefined);
      expect(await q.get(recent.job.job_id, { offset: 0, limit: 0 })).to.not.equal(undefined);
      expect(q.held().items).to.be.at.most(3);
    });

    it('answers 429 for the whole store when only running jobs hold it', async () => {
      const q = start({ maxItems: 2, maxItemsPerCaller: 2 });
      await q.submit({ items: [item('hold')], priority: 'standard', caller: 'alice' });
      await q.submit({ items: [item('hold')], priority: 'standard', caller: 'bob' });
      const err = await refusal(q, [item('c')], 'carol');
      expect(err).to.include({ status: 429, code: 'job_store_full' });
      expect(err.details).to.include({ cap: 'total', max_items: 2 });
    });

    it('20 large batches: refused past the cap, and the bytes held never exceed it', async () => {
      const cap = 64 * 1024;
      const q = start({ maxBytesPerCaller: cap, maxBytes: 1 << 20 });
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) {
        const items = Array.from({ length: 20 }, (_, j) =>
          item(`size:300`, { custom_id: `${i}-${j}-${'p'.repeat(200)}` }),
        );
        const err = await refusal(q, items, 'alice');
        statuses.push(err?.status ?? 202);
        expect(q.held('alice').bytes, `after batch ${i}`).to.be.at.most(cap);
      }
      expect(statuses).to.include(202);
      expect(statuses).to.include(429);
      expect(q.held('alice').bytes).to.be.at.most(cap);
    });

    it('replaces a result with no room by a job_store_full failure, so the job still finishes within the cap', async () => {
      const cap = 4096;
      const q = start({ maxBytesPerCaller: cap });
      const { job } = await q.submit({
        items: [item('size:1500'), item('size:1500'), item('size:1500')],
        priority: 'standard',
        caller: 'alice',
      });
      const done = await finished(q, job.job_id);
      const codes = done.results.map((r) => r.error?.code ?? r.status);
      expect(codes.filter((c) => c === 'succeeded')).to.have.length(2);
      expect(codes.filter((c) => c === 'job_store_full')).to.have.length(1);
      expect(q.held('alice').bytes).to.be.at.most(cap);
    });
  });
});
