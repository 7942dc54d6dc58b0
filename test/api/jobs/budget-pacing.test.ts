/**
 * Batch items and the caller's limits: a refusal by the request limit or a budget defers the item (after
 * Retry-After, without using an attempt) instead of failing it; in local mode (in-process queue and budget
 * counters) a batch bigger than the token budget finishes at the budget's pace with every item succeeded.
 */
import { expect } from 'chai';
import { pino } from 'pino';
import { BudgetExceededError, RateLimitedError, UpstreamError } from '../../../api/src/errors.js';
import { BullJobQueue } from '../../../api/src/jobs/bullmq-job-queue.js';
import { MAX_DEFER_MS, onItemFailure } from '../../../api/src/jobs/item-policy.js';
import type { ItemRunner } from '../../../api/src/jobs/job-queue.js';
import { createMetrics } from '../../../api/src/metrics/registry.js';
import { deleteKeys, requireRedis, uniquePrefix } from '../../support/redis.js';
import { openaiModel, startRouter, type TestRouter } from '../router/harness.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { finished, item } from './job-queue.contract.js';
import { untilFinished } from './poll.js';

describe('api/jobs: batch items paced by the caller limits', () => {
  describe('onItemFailure', () => {
    const policy = { attempts: 2, retryDelayMs: 100 };
    const none = () => 0;
    const budget = (retryAfterSeconds?: number) =>
      new BudgetExceededError('tokens', 'over', retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
    const table: [string, unknown, number, ReturnType<typeof onItemFailure>][] = [
      [
        'a request-limit refusal waits Retry-After',
        new RateLimitedError('slow', 3),
        1,
        { retry: true, delayMs: 3000, deferred: true },
      ],
      [
        'even on the last attempt',
        new RateLimitedError('slow', 3),
        2,
        { retry: true, delayMs: 3000, deferred: true },
      ],
      ['a budget refusal waits Retry-After', budget(2), 2, { retry: true, delayMs: 2000, deferred: true }],
      [
        'a long wait is looked at again within the cap',
        budget(86_400),
        1,
        { retry: true, delayMs: MAX_DEFER_MS, deferred: true },
      ],
      [
        'a request larger than the budget fails',
        budget(),
        1,
        {
          retry: false,
          result: { status: 'failed', error: { code: 'token_limit_exceeded', message: 'over' } },
        },
      ],
      ['other retryable failures use attempts', new UpstreamError('down'), 1, { retry: true, delayMs: 100 }],
    ];
    for (const [what, err, attempt, expected] of table) {
      it(what, () => {
        expect(onItemFailure(err, attempt, policy, undefined, none)).to.deep.equal(expected);
      });
    }
  });

  describe('BullMQ (real Redis)', () => {
    let url: string;
    const prefix = uniquePrefix('pacing');
    before(async function () {
      url = await requireRedis(this);
    });
    after(() => url && deleteKeys(url, prefix));

    it('a deferred item keeps its attempts: refused first, every item still succeeds with one attempt', async () => {
      const refused = new Set<string>();
      const run: ItemRunner = async (it) => {
        const input = it.type === 'text' ? it.input : '';
        if (!refused.has(input)) {
          refused.add(input);
          throw new BudgetExceededError('tokens', 'over', { retryAfterSeconds: 1 });
        }
        return { output: input };
      };
      const metrics = createMetrics({ defaultMetrics: false });
      const queue = new BullJobQueue({
        url,
        keyPrefix: prefix,
        ttlMs: 60_000,
        timeoutMs: 5000,
        worker: { run, concurrency: 4, modelConcurrency: 4, attempts: 1, retryDelayMs: 10, lockMs: 30_000 },
        logger: pino({ level: 'silent' }),
        metrics,
      });
      try {
        const { job } = await queue.submit({
          items: [item('a'), item('b'), item('c')],
          priority: 'standard',
        });
        const done = await finished(queue, job.job_id);
        expect(done.progress).to.include({ succeeded: 3, failed: 0 });
        expect((await metrics.batchItemsDeferred.get()).values[0]?.value).to.equal(3);
        expect((await metrics.batchItemRetries.get()).values[0]?.value ?? 0).to.equal(0);
      } finally {
        await queue.close();
      }
    });
  });

  describe('local mode: in-process queue and budget counters', function () {
    this.timeout(120_000);
    const KEY = 'sk-pacing-alice-0123456789';
    let upstream: FakeOpenAI;
    let router: TestRouter;
    before(async () => {
      upstream = await startFakeOpenAI();
      router = await startRouter([openaiModel('remote', upstream.baseURL)], {
        ROUTER_API_KEYS: `alice:${KEY}`,
        // Each item reserves 41-42 tokens and uses 10: a handful per 1 s window.
        ROUTER_TOKEN_LIMITS: 'alice=100',
        RATE_LIMIT_WINDOW_SECONDS: '1',
        BATCH_ITEM_ATTEMPTS: '1',
      });
    });
    after(async () => {
      await router?.close();
      await upstream?.close();
    });

    it('a batch over the budget waits for it and every item succeeds', async () => {
      const requests = Array.from({ length: 30 }, (_, i) => ({
        type: 'text',
        model_id: 'remote',
        input: `item ${i}`,
        parameters: { max_tokens: 40 },
      }));
      const auth = { authorization: `Bearer ${KEY}` };
      const batch = await router.post('/api/inference/batch', { requests }, auth);
      expect(batch.status).to.equal(202);
      const get = async (path: string) => {
        const res = await fetch(`${router.url}${path}`, { headers: auth });
        return { status: res.status, body: await res.json() };
      };
      const job = await untilFinished(get, batch.body.status_url, '?limit=1', 100_000);
      expect(job.status).to.equal('completed');
      expect(job.progress).to.include({ succeeded: 30, failed: 0 });
      expect(
        await router.metric('router_budget_refused_total{caller="alice",budget="tokens"}'),
      ).to.be.greaterThan(0);
      expect(await router.metric('router_batch_items_deferred_total')).to.be.greaterThan(0);
      expect(upstream.requests.length).to.equal(30);
    });
  });
});
