/**
 * The one contract every JobQueue passes (in-process, BullMQ on Redis). Each implementation's test file
 * calls `jobQueueContract` with a factory that returns a fresh, empty queue running items with the given
 * runner and settings. The runner acts out what an item's input says: `ok`, `fail` (not retryable),
 * `flaky:N` (retryable for the first N tries), `down` (always retryable), `hold` (waits for `release`),
 * `budget` (its caller's budget refuses it for a second, every time).
 */
import { expect } from 'chai';
import {
  BudgetExceededError,
  IdempotencyConflictError,
  ModelUnavailableError,
  UpstreamRejectedError,
} from '../../../api/src/errors.js';
import type { ItemRunner, JobQueue, WorkerSettings } from '../../../api/src/jobs/job-queue.js';
import type { BatchItem, JobView } from '../../../api/src/schemas/jobs.js';
import { eventually } from '../../support/eventually.js';

export interface QueueFactoryOptions extends Omit<WorkerSettings, 'run'> {
  readonly ttlMs: number;
}

export type QueueFactory = (run: ItemRunner, options: QueueFactoryOptions) => Promise<JobQueue>;

/** A runner that does what each item's input says, and remembers what it did. */
export class ScriptedRunner {
  /** Labels (`custom_id`, else input) in the order items started. */
  readonly started: string[] = [];
  readonly calls = new Map<string, number>();
  readonly inFlight = new Map<string, number>();
  readonly maxInFlight = new Map<string, number>();
  #release!: () => void;
  #released = new Promise<void>((ok) => {
    this.#release = ok;
  });

  release(): void {
    this.#release();
  }

  get holding(): number {
    return [...this.inFlight.values()].reduce((a, b) => a + b, 0);
  }

  readonly run: ItemRunner = async (item, { requestId, caller }) => {
    const input = item.type === 'text' ? item.input : '';
    const calls = (this.calls.get(requestId) ?? 0) + 1;
    this.calls.set(requestId, calls);
    this.started.push(item.custom_id ?? input);
    const model = item.model_id;
    this.inFlight.set(model, (this.inFlight.get(model) ?? 0) + 1);
    this.maxInFlight.set(model, Math.max(this.maxInFlight.get(model) ?? 0, this.inFlight.get(model) ?? 0));
    try {
      if (input === 'hold') await this.#released;
      if (input === 'fail') throw new UpstreamRejectedError('the model refused it');
      if (input === 'down') throw new ModelUnavailableError('no target answered');
      if (input === 'budget') throw new BudgetExceededError('tokens', 'over', { retryAfterSeconds: 1 });
      const flaky = /^flaky:(\d+)$/.exec(input);
      if (flaky && calls <= Number(flaky[1])) throw new ModelUnavailableError('not yet');
      return { echo: input, calls, caller };
    } finally {
      this.inFlight.set(model, (this.inFlight.get(model) ?? 1) - 1);
    }
  };
}

export const item = (input: string, extra: Partial<BatchItem> = {}): BatchItem =>
  ({ type: 'text', model_id: 'm', input, use_fallbacks: true, ...extra }) as BatchItem;

const DEFAULTS: QueueFactoryOptions = {
  concurrency: 4,
  modelConcurrency: 4,
  attempts: 3,
  retryDelayMs: 10,
  ttlMs: 60_000,
};

export function finished(queue: JobQueue, id: string, limit = 100): Promise<JobView> {
  return eventually(async () => {
    const job = await queue.get(id, { offset: 0, limit });
    return job && ['completed', 'failed', 'cancelled'].includes(job.status) ? job : undefined;
  }, `job ${id} to finish`);
}

export function jobQueueContract(make: QueueFactory): void {
  describe('JobQueue contract', () => {
    let queue: JobQueue | undefined;
    let runner: ScriptedRunner;
    const start = async (options: Partial<QueueFactoryOptions> = {}) => {
      runner = new ScriptedRunner();
      queue = await make(runner.run, { ...DEFAULTS, ...options });
      return queue;
    };
    afterEach(async () => {
      runner?.release();
      await queue?.close();
      queue = undefined;
    });

    it('runs every item and lists the results in request order, paged, with counts and timings', async () => {
      const q = await start({ ttlMs: 60_000 });
      const items = ['a', 'b', 'c', 'd', 'e'].map((x, i) => item(x, i % 2 ? { custom_id: `id-${x}` } : {}));
      const { job, created } = await q.submit({ items, priority: 'standard' });
      expect(created).to.equal(true);
      expect(job.job_id).to.match(/^job_/);
      expect(job).to.deep.include({ priority: 'standard', results: [] });
      expect(job.progress.total).to.equal(5);
      const done = await finished(q, job.job_id);
      expect(done.status).to.equal('completed');
      expect(done.progress).to.deep.equal({
        total: 5,
        completed: 5,
        succeeded: 5,
        failed: 0,
        cancelled: 0,
        percent: 100,
      });
      expect(done.results.map((r) => [r.index, r.custom_id, r.status, r.response?.echo])).to.deep.equal([
        [0, undefined, 'succeeded', 'a'],
        [1, 'id-b', 'succeeded', 'b'],
        [2, undefined, 'succeeded', 'c'],
        [3, 'id-d', 'succeeded', 'd'],
        [4, undefined, 'succeeded', 'e'],
      ]);
      const created_ = Date.parse(done.created_at);
      const started = Date.parse(done.started_at as string);
      const completed = Date.parse(done.completed_at as string);
      expect(created_).to.be.at.most(started);
      expect(started).to.be.at.most(completed);
      expect(Date.parse(done.expires_at as string)).to.equal(completed + 60_000);
      const page = (await q.get(job.job_id, { offset: 3, limit: 1 })) as JobView;
      expect(page.results.map((r) => r.index)).to.deep.equal([3]);
      expect(page.page).to.deep.equal({ offset: 3, limit: 1, total: 5, next_offset: 4 });
      const last = (await q.get(job.job_id, { offset: 4, limit: 10 })) as JobView;
      expect(last.page).to.deep.equal({ offset: 4, limit: 10, total: 5 });
      expect((await q.get(job.job_id, { offset: 9, limit: 10 }))?.results).to.deep.equal([]);
    });

    it('runs items as their submitter (the caller they are metered to), anonymous when none is named', async () => {
      const q = await start();
      const named = await q.submit({ items: [item('x')], priority: 'standard', caller: 'search-team' });
      const unnamed = await q.submit({ items: [item('y')], priority: 'standard' });
      const callerOf = async (id: string) => (await finished(q, id)).results[0]?.response?.caller;
      expect(await callerOf(named.job.job_id)).to.equal('search-team');
      expect(await callerOf(unnamed.job.job_id)).to.equal('anonymous');
      // The job records its submitter (the jobs API lets only that caller read or cancel it).
      expect(named.job.caller).to.equal('search-team');
      expect((await q.get(unnamed.job.job_id, { offset: 0, limit: 0 }))?.caller).to.equal('anonymous');
    });

    it('a failing item gets its error and the job goes on; a job whose every item failed is failed', async () => {
      const q = await start();
      const mixed = await q.submit({ items: [item('ok'), item('fail')], priority: 'standard' });
      const done = await finished(q, mixed.job.job_id);
      expect(done.status).to.equal('completed');
      expect(done.results[1]).to.deep.include({ status: 'failed' });
      expect(done.results[1]?.error).to.deep.include({
        code: 'rejected_by_model',
        message: 'the model refused it',
      });
      expect(runner.calls.get(`${mixed.job.job_id}:1`)).to.equal(1);
      const bad = await q.submit({ items: [item('fail')], priority: 'standard' });
      expect((await finished(q, bad.job.job_id)).status).to.equal('failed');
    });

    it('retries a retryable failure; one that keeps failing ends as the item error, not a stuck job', async () => {
      const q = await start({ attempts: 3 });
      const { job } = await q.submit({ items: [item('flaky:2'), item('down')], priority: 'standard' });
      const done = await finished(q, job.job_id);
      expect(done.results[0]).to.deep.include({ status: 'succeeded' });
      expect(done.results[0]?.response).to.deep.equal({ echo: 'flaky:2', calls: 3, caller: 'anonymous' });
      expect(done.results[1]).to.deep.include({ status: 'failed' });
      expect(done.results[1]?.error?.code).to.equal('model_unavailable');
      expect(runner.calls.get(`${job.job_id}:1`)).to.equal(3);
      expect(done.status).to.equal('completed');
    });

    it('runs critical items before standard ones, standard before background', async () => {
      const q = await start({ concurrency: 1 });
      await q.submit({ items: [item('hold', { custom_id: 'first' })], priority: 'standard' });
      await eventually(async () => (runner.holding === 1 ? true : undefined), 'the first item to start');
      const labelled = (p: string) => [0, 1].map((i) => item('ok', { custom_id: `${p}${i}` }));
      const jobs = [
        await q.submit({ items: labelled('background'), priority: 'background' }),
        await q.submit({ items: labelled('standard'), priority: 'standard' }),
        await q.submit({ items: labelled('critical'), priority: 'critical' }),
      ];
      runner.release();
      for (const { job } of jobs) await finished(q, job.job_id);
      expect(runner.started).to.deep.equal([
        'first',
        'critical0',
        'critical1',
        'standard0',
        'standard1',
        'background0',
        'background1',
      ]);
    });

    it('keeps each model within its bound, and a busy model does not hold back another', async () => {
      const q = await start({ concurrency: 4, modelConcurrency: 2 });
      const items = [
        ...Array(4).fill(item('hold', { model_id: 'a' })),
        ...Array(2).fill(item('hold', { model_id: 'b' })),
      ];
      const { job } = await q.submit({ items, priority: 'standard' });
      await eventually(
        async () => (runner.inFlight.get('a') === 2 && runner.inFlight.get('b') === 2 ? true : undefined),
        'two items of each model in flight',
      );
      runner.release();
      expect((await finished(q, job.job_id)).progress.succeeded).to.equal(6);
      expect(Object.fromEntries(runner.maxInFlight)).to.deep.equal({ a: 2, b: 2 });
    });

    it('cancel stops what has not started; what runs finishes; the job ends cancelled', async () => {
      const q = await start({ concurrency: 1 });
      const { job } = await q.submit({ items: [item('hold'), item('ok'), item('ok')], priority: 'standard' });
      await eventually(async () => (runner.holding === 1 ? true : undefined), 'the first item to start');
      const cancelled = (await q.cancel(job.job_id)) as JobView;
      expect(cancelled.status).to.equal('running');
      expect(cancelled.cancel_requested).to.equal(true);
      expect(cancelled.progress).to.deep.include({ cancelled: 2, completed: 2 });
      runner.release();
      const done = await finished(q, job.job_id);
      expect(done.status).to.equal('cancelled');
      expect(done.results.map((r) => r.status)).to.deep.equal(['succeeded', 'cancelled', 'cancelled']);
      expect(runner.started).to.deep.equal(['hold']);
      expect((await q.cancel(job.job_id))?.status).to.equal('cancelled');
      expect(await q.cancel('job_unknown')).to.equal(undefined);
      expect(await q.get('job_unknown', { offset: 0, limit: 10 })).to.equal(undefined);
    });

    it('cancel also stops an item waiting for its caller budget: it is cancelled, not run again', async () => {
      const q = await start();
      const { job } = await q.submit({ items: [item('budget'), item('ok')], priority: 'standard' });
      await eventually(async () => {
        const view = await q.get(job.job_id, { offset: 0, limit: 0 });
        return view?.progress.succeeded && runner.started.includes('budget') ? true : undefined;
      }, 'one item to finish and the other to be refused');
      await q.cancel(job.job_id);
      // Before, the refused item waited on (every second, for ever): the job never ended.
      const done = await finished(q, job.job_id);
      expect(done.status).to.equal('cancelled');
      expect(done.results.map((r) => r.status)).to.deep.equal(['cancelled', 'succeeded']);
    });

    it('an idempotency key answers with the job it made; with other items it is refused', async () => {
      const q = await start();
      const key = `key-${Math.random()}`;
      const first = await q.submit({ items: [item('ok')], priority: 'standard', idempotencyKey: key });
      const again = await q.submit({ items: [item('ok')], priority: 'standard', idempotencyKey: key });
      expect(again.created).to.equal(false);
      expect(again.job.job_id).to.equal(first.job.job_id);
      const other = await q
        .submit({ items: [item('other')], priority: 'standard', idempotencyKey: key })
        .catch((err: unknown) => err);
      expect(other).to.be.instanceOf(IdempotencyConflictError);
      // Keys are per caller: another caller's key of the same name makes its own job.
      const theirs = await q.submit({
        items: [item('ok')],
        priority: 'standard',
        idempotencyKey: key,
        caller: 'other-team',
      });
      expect(theirs.created).to.equal(true);
      expect(theirs.job.job_id).to.not.equal(first.job.job_id);
      await finished(q, first.job.job_id);
      await finished(q, theirs.job.job_id);
      expect(runner.started).to.deep.equal(['ok', 'ok']);
    });

    it('forgets a job and its idempotency key once the TTL has passed after it finished', async () => {
      const q = await start({ ttlMs: 1000 });
      const { job } = await q.submit({ items: [item('ok')], priority: 'standard', idempotencyKey: 'short' });
      await finished(q, job.job_id);
      await eventually(
        async () => ((await q.get(job.job_id, { offset: 0, limit: 1 })) === undefined ? true : undefined),
        'the job to expire',
        5000,
      );
      const next = await q.submit({ items: [item('ok')], priority: 'standard', idempotencyKey: 'short' });
      expect(next.created).to.equal(true);
      expect(next.job.job_id).to.not.equal(job.job_id);
    });
  });
}
