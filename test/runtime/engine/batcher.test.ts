import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import { RunCosts } from '../../../runtime/src/engine/batch.js';
import { checkQueueRoom, EXPLORE_EVERY, RowBatcher } from '../../../runtime/src/engine/batcher.js';
import {
  QueueFullError,
  RequestCancelledError,
  RequestTooLargeError,
  statusOfDetails,
  toGrpcStatus,
} from '../../../runtime/src/errors.js';

/** A batcher whose runs are recorded and resolve when the test says. */
function recorder(limits: { maxBatchSize: number; maxBatchWaitMs: number; maxQueueSize: number }) {
  const runs: number[][] = [];
  let release: () => void = () => {};
  let gate: Promise<void> = Promise.resolve();
  const batcher = new RowBatcher(async (rows: number[]) => {
    runs.push(rows);
    await gate;
    return rows.map((x) => x * 10);
  }, limits);
  return {
    batcher,
    runs,
    hold() {
      gate = new Promise((resolve) => {
        release = resolve;
      });
    },
    release: () => release(),
  };
}

describe('RowBatcher', () => {
  it('runs the rows of requests that arrive together as one batch and hands each its own results', async () => {
    const r = recorder({ maxBatchSize: 8, maxBatchWaitMs: 20, maxQueueSize: 100 });
    const results = await Promise.all([
      r.batcher.submit([1, 2]),
      r.batcher.submit([3]),
      r.batcher.submit([4, 5]),
    ]);
    expect(results).to.deep.equal([[10, 20], [30], [40, 50]]);
    expect(r.runs).to.deep.equal([[1, 2, 3, 4, 5]]);
  });

  it('splits rows past the maximum batch size into the next batch; each request still gets all its results', async () => {
    const r = recorder({ maxBatchSize: 3, maxBatchWaitMs: 0, maxQueueSize: 100 });
    const results = await Promise.all([r.batcher.submit([1, 2]), r.batcher.submit([3, 4, 5])]);
    expect(results).to.deep.equal([
      [10, 20],
      [30, 40, 50],
    ]);
    expect(r.runs).to.deep.equal([
      [1, 2, 3],
      [4, 5],
    ]);
  });

  it('runs a lone request after the maximum wait, not before', async () => {
    const r = recorder({ maxBatchSize: 8, maxBatchWaitMs: 40, maxQueueSize: 100 });
    const started = Date.now();
    await r.batcher.submit([1]);
    expect(Date.now() - started).to.be.at.least(35);
  });

  it('queues what arrives during a run and runs it next, as one batch', async () => {
    const r = recorder({ maxBatchSize: 8, maxBatchWaitMs: 0, maxQueueSize: 100 });
    r.hold();
    const first = r.batcher.submit([1]);
    await new Promise((resolve) => setImmediate(resolve));
    const later = [r.batcher.submit([2]), r.batcher.submit([3])];
    r.release();
    await Promise.all([first, ...later]);
    expect(r.runs).to.deep.equal([[1], [2, 3]]);
  });

  it('refuses rows past the queue limit with QueueFullError, saying how full it is', async () => {
    const r = recorder({ maxBatchSize: 2, maxBatchWaitMs: 0, maxQueueSize: 3 });
    r.hold();
    const running = r.batcher.submit([1, 2]);
    await new Promise((resolve) => setImmediate(resolve));
    const queued = r.batcher.submit([3, 4]);
    expect(() => r.batcher.submit([5, 6])).to.throw(
      QueueFullError,
      "the model's queue is full: 2 rows wait and this request adds 2 (MAX_QUEUE_SIZE=3)",
    );
    r.release();
    await Promise.all([running, queued]);
  });

  it('drops the queued rows of a cancelled request and rejects it as cancelled', async () => {
    const r = recorder({ maxBatchSize: 1, maxBatchWaitMs: 0, maxQueueSize: 10 });
    r.hold();
    const running = r.batcher.submit([1]);
    const controller = new AbortController();
    const cancelled = r.batcher.submit([2, 3], controller.signal);
    controller.abort();
    expect(await cancelled.catch((e: unknown) => e)).to.be.instanceOf(RequestCancelledError);
    expect(r.batcher.depth).to.equal(0);
    r.release();
    await running;
    expect(r.runs).to.deep.equal([[1]]);
  });

  it('given room for the rows, checkQueueRoom passes; given one row too many, it throws', () => {
    const limits = { maxBatchSize: 1, maxBatchWaitMs: 0, maxQueueSize: 4 };
    expect(() => checkQueueRoom(2, 2, limits, {})).not.to.throw();
    expect(() => checkQueueRoom(2, 3, limits, {})).to.throw(QueueFullError);
  });

  it('given more rows than the whole queue holds, even on an empty queue, refuses them for good (INVALID_ARGUMENT)', () => {
    const limits = { maxBatchSize: 1, maxBatchWaitMs: 0, maxQueueSize: 32 };
    let rejected = 0;
    const hooks = { rejected: () => rejected++ };
    expect(() => checkQueueRoom(0, 32, limits, hooks)).not.to.throw();
    expect(() => checkQueueRoom(0, 33, limits, hooks)).to.throw(
      RequestTooLargeError,
      '33 rows exceed MAX_QUEUE_SIZE 32; send fewer per request',
    );
    expect(() => checkQueueRoom(5, 64, limits, hooks, () => '8 prompts x n 8 = 64 sequences')).to.throw(
      RequestTooLargeError,
      '8 prompts x n 8 = 64 sequences exceed MAX_QUEUE_SIZE 32',
    );
    // Not counted as a queue-full refusal: the queue was not the problem.
    expect(rejected).to.equal(0);
    const error = new RequestTooLargeError(64, 32);
    expect(error.retryable).to.equal(false);
    const sent = toGrpcStatus(error);
    expect(sent.code).to.equal(status.INVALID_ARGUMENT);
    expect(statusOfDetails(sent.details)).to.equal(status.INVALID_ARGUMENT);
  });

  it('given a request of more texts than the queue holds, the batcher refuses it with RequestTooLargeError', () => {
    const r = recorder({ maxBatchSize: 2, maxBatchWaitMs: 0, maxQueueSize: 3 });
    expect(() => r.batcher.submit([1, 2, 3, 4])).to.throw(
      RequestTooLargeError,
      '4 rows exceed MAX_QUEUE_SIZE 3',
    );
    expect(r.runs).to.deep.equal([]);
  });
});

describe('RowBatcher with row lengths', () => {
  /**
   * Costs that say a run costs as much as 20 tokens (2 ms + 0.1 ms per token), learnt from so many runs that
   * the test's own instant runs hardly move them.
   */
  const learnt = () => {
    const costs = new RunCosts(1);
    for (let i = 0; i < 100; i++)
      for (const tokens of [10, 320, 80, 160]) costs.observe(tokens, 2 + 0.1 * tokens);
    return costs;
  };
  const limits = { maxBatchSize: 8, maxBatchWaitMs: 20, maxQueueSize: 100 };
  const row = (id: number, length: number) => Array.from({ length }, () => id);

  it('runs short and long rows apart when the padding saved outweighs a run, and answers each request', async () => {
    const runs: number[][] = [];
    const batcher = new RowBatcher(
      async (rows: number[][]) => {
        runs.push(rows.map((r) => r[0] as number));
        return rows.map((r) => (r[0] as number) * 10);
      },
      limits,
      {},
      (r) => r.length,
      learnt(),
    );
    // One run: 8 × 30 = 240 tokens; apart: 6 × 2 + 2 × 30 + 20 = 92.
    const results = await Promise.all([
      batcher.submit([row(1, 2), row(2, 30)]),
      batcher.submit([row(3, 2), row(4, 2)]),
      batcher.submit([row(5, 30), row(6, 2), row(7, 2), row(8, 2)]),
    ]);
    expect(runs).to.deep.equal([
      [1, 3, 4, 6, 7, 8],
      [2, 5],
    ]);
    expect(results).to.deep.equal([
      [10, 20],
      [30, 40],
      [50, 60, 70, 80],
    ]);
  });

  it('given rows of close lengths, keeps them in one run in queue order', async () => {
    const runs: number[][] = [];
    const batcher = new RowBatcher(
      async (rows: number[][]) => {
        runs.push(rows.map((r) => r[0] as number));
        return rows.map(() => 0);
      },
      limits,
      {},
      (r) => r.length,
      learnt(),
    );
    await Promise.all([batcher.submit([row(1, 9)]), batcher.submit([row(2, 10), row(3, 9)])]);
    expect(runs).to.deep.equal([[1, 2, 3]]);
  });

  it('not knowing what a run costs yet, runs shorter and longer rows apart, to learn it', async () => {
    const runs: number[][] = [];
    const batcher = new RowBatcher(
      async (rows: number[][]) => {
        runs.push(rows.map((r) => r[0] as number));
        return rows.map(() => 0);
      },
      limits,
      {},
      (r) => r.length,
    );
    await Promise.all([
      batcher.submit([row(1, 9)]),
      batcher.submit([row(2, 10), row(3, 9)]),
      batcher.submit([row(4, 3)]),
    ]);
    expect(runs).to.deep.equal([[4], [1, 3, 2]]);
  });

  it(`knowing what a run costs, still splits every ${EXPLORE_EVERY}th batch in two`, async () => {
    const runs: number[][] = [];
    const batcher = new RowBatcher(
      async (rows: number[][]) => {
        runs.push(rows.map((r) => r[0] as number));
        return rows.map(() => 0);
      },
      { ...limits, maxBatchWaitMs: 0 },
      {},
      (r) => r.length,
      learnt(),
    );
    for (let i = 1; i <= EXPLORE_EVERY; i++) await batcher.submit([row(1, 9), row(2, 10)]);
    expect(runs.slice(-3)).to.deep.equal([[1, 2], [1], [2]]);
    expect(runs).to.have.length(EXPLORE_EVERY + 1);
  });

  it('when the run of the long rows fails, fails only the requests with rows in it', async () => {
    const batcher = new RowBatcher(
      async (rows: number[][]) => {
        if (rows[0]?.length === 30) throw new Error('onnxruntime failed');
        return rows.map(() => 1);
      },
      limits,
      {},
      (r) => r.length,
      learnt(),
    );
    const outcomes = await Promise.allSettled([
      batcher.submit([row(1, 2), row(2, 2), row(3, 2)]),
      batcher.submit([row(4, 30), row(5, 2)]),
      batcher.submit([row(6, 2), row(7, 2)]),
    ]);
    expect(outcomes.map((o) => o.status)).to.deep.equal(['fulfilled', 'rejected', 'fulfilled']);
  });
});

describe('RowBatcher queue wait', () => {
  it('reports one wait per request, when its first row is taken, however many batches its rows take', async () => {
    const waits: number[] = [];
    const batcher = new RowBatcher(
      async (rows: number[]) => rows.map((x) => x * 10),
      { maxBatchSize: 2, maxBatchWaitMs: 20, maxQueueSize: 100 },
      { queueWait: (s) => waits.push(s) },
    );
    // A full batch runs at once: the first request's rows take two batches, the second request's the second.
    await Promise.all([batcher.submit([1, 2, 3]), batcher.submit([4])]);
    expect(waits).to.have.length(2);
    expect(waits[1]).to.be.at.least(waits[0] as number);
    // A lone row waits for company (MAX_BATCH_WAIT_MS) before its batch runs.
    await batcher.submit([5]);
    expect(waits).to.have.length(3);
    expect(waits[2]).to.be.at.least(0.015).and.below(1);
  });

  it('reports a wait of 0 for a lone request that runs at once without batching', async () => {
    const waits: number[] = [];
    const batcher = new RowBatcher(
      async (rows: number[]) => rows,
      { maxBatchSize: 1, maxBatchWaitMs: 0, maxQueueSize: 100 },
      { queueWait: (s) => waits.push(s) },
    );
    await batcher.submit([7]);
    expect(waits).to.deep.equal([0]);
  });
});
