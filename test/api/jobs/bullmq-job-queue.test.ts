import { expect } from 'chai';
import { Redis } from 'ioredis';
import { pino } from 'pino';
import { BullJobQueue, type BullJobQueueOptions } from '../../../api/src/jobs/bullmq-job-queue.js';
import { scopedKey } from '../../../api/src/jobs/job-queue.js';
import { requestDigest } from '../../../api/src/jobs/job-view.js';
import { PROVISIONAL_MS, RedisJobStore } from '../../../api/src/jobs/redis-job-store.js';
import { createMetrics } from '../../../api/src/metrics/registry.js';
import { deleteKeys, requireRedis, uniquePrefix } from '../../support/redis.js';
import { finished, item, jobQueueContract, ScriptedRunner } from './job-queue.contract.js';

describe('api/jobs/bullmq-job-queue', () => {
  let url: string;
  const prefix = uniquePrefix('jobs');
  before(async function () {
    url = await requireRedis(this);
  });
  after(() => url && deleteKeys(url, prefix));

  let n = 0;
  const make = (
    run: ScriptedRunner['run'],
    settings: Partial<NonNullable<BullJobQueueOptions['worker']>> & { ttlMs?: number } = {},
  ) => {
    const { ttlMs = 60_000, ...worker } = settings;
    const keyPrefix = `${prefix}${n++}:`;
    const queue = new BullJobQueue({
      url,
      keyPrefix,
      ttlMs,
      timeoutMs: 5000,
      worker: {
        run,
        concurrency: 4,
        modelConcurrency: 4,
        attempts: 3,
        retryDelayMs: 10,
        lockMs: 30_000,
        ...worker,
      },
      logger: pino({ level: 'silent' }),
      metrics: createMetrics({ defaultMetrics: false }),
    });
    return { queue, keyPrefix };
  };

  jobQueueContract(async (run, options) => make(run, options).queue);

  it('a finished job leaves only its record, every key of it with the TTL; BullMQ keeps no item', async () => {
    const runner = new ScriptedRunner();
    const { queue, keyPrefix } = make(runner.run, { ttlMs: 120_000 });
    const admin = new Redis(url);
    try {
      const { job } = await queue.submit({
        items: [item('a'), item('b'), item('c')],
        priority: 'background',
      });
      await finished(queue, job.job_id);
      const keys = (await admin.keys(`${keyPrefix}*`)).sort();
      const record = keys.filter((k) => k.startsWith(`${keyPrefix}jobs:`));
      expect(record).to.deep.equal(
        ['', ':items', ':results', ':started'].map((s) => `${keyPrefix}jobs:${job.job_id}${s}`),
      );
      for (const key of record) expect(await admin.pttl(key)).to.be.within(100_000, 120_000);
      // BullMQ's own keys: its bookkeeping, no job hash left behind.
      expect(keys.filter((k) => k.includes(`bull:batch:${job.job_id}`))).to.deep.equal([]);
    } finally {
      admin.disconnect();
      await queue.close();
    }
  });

  it('a submission that failed after its record was written is finished by a retry with the same key', async () => {
    const runner = new ScriptedRunner();
    const { queue, keyPrefix } = make(runner.run);
    const admin = new Redis(url);
    try {
      // What a submission leaves when Redis went away between writing the record and enqueueing the items.
      const store = new RedisJobStore(admin, { keyPrefix: `${keyPrefix}jobs:`, ttlMs: 60_000 });
      const items = [item('x'), item('y')];
      await store.create(
        {
          id: 'job_halfway',
          priority: 'standard',
          items,
          digest: requestDigest(items, 'standard'),
          caller: 'anonymous',
        },
        scopedKey('retry-me', undefined), // as the queue keeps an anonymous caller's key
      );
      expect(await admin.pttl(`${keyPrefix}jobs:job_halfway`)).to.be.within(1, PROVISIONAL_MS);
      const again = await queue.submit({ items, priority: 'standard', idempotencyKey: 'retry-me' });
      expect(again).to.deep.include({ created: false });
      expect(again.job.job_id).to.equal('job_halfway');
      expect(await admin.pttl(`${keyPrefix}jobs:job_halfway`)).to.equal(-1);
      expect((await finished(queue, 'job_halfway')).progress.succeeded).to.equal(2);
    } finally {
      admin.disconnect();
      await queue.close();
    }
  });
});
