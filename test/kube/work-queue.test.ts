import { expect } from 'chai';
import { pino } from 'pino';
import { WorkQueue } from '../../kube/src/work-queue.js';

const logger = pino({ level: 'silent' });
const tick = (ms = 5) => new Promise((r) => setTimeout(r, ms));

describe('kube: WorkQueue', () => {
  it('runs one key at a time, different keys in parallel, and re-runs a key added while it ran', async () => {
    const log: string[] = [];
    let running = 0;
    let maxParallel = 0;
    const queue = new WorkQueue({
      name: 't',
      workers: 4,
      logger,
      reconcile: async (key) => {
        running += 1;
        maxParallel = Math.max(maxParallel, running);
        log.push(`start ${key}`);
        await tick(20);
        log.push(`end ${key}`);
        running -= 1;
        return undefined;
      },
    });
    queue.start();
    queue.add('a');
    queue.add('b');
    await tick(5);
    queue.add('a'); // while a runs: once more after it
    queue.add('a'); // coalesced with the previous add
    await tick(80);
    await queue.shutdown();
    expect(log.filter((l) => l === 'start a')).to.have.length(2);
    expect(log.indexOf('start a', 1)).to.be.greaterThan(log.indexOf('end a'));
    expect(maxParallel).to.equal(2);
  });

  it('retries a failing key with growing backoff, then succeeds', async () => {
    const times: number[] = [];
    const queue = new WorkQueue({
      name: 't',
      workers: 1,
      logger,
      baseDelayMs: 10,
      reconcile: async () => {
        times.push(Date.now());
        if (times.length < 4) throw new Error('not yet');
        return undefined;
      },
    });
    queue.start();
    queue.add('k');
    await tick(200);
    await queue.shutdown();
    expect(times).to.have.length(4);
    const gaps = times.slice(1).map((t, i) => t - (times[i] as number));
    expect(gaps[2]).to.be.greaterThan(gaps[0] as number);
  });

  it('does not retry a failure its retryable() calls terminal, until the key is added again', async () => {
    const runs: string[] = [];
    const queue = new WorkQueue({
      name: 't',
      workers: 1,
      logger,
      baseDelayMs: 5,
      retryable: (err) => (err as Error).message !== 'terminal',
      reconcile: async (key) => {
        runs.push(key);
        throw new Error(key === 'bad' ? 'terminal' : 'transient');
      },
    });
    queue.start();
    queue.add('bad');
    queue.add('flaky');
    await tick(100);
    expect(runs.filter((k) => k === 'bad')).to.have.length(1);
    expect(runs.filter((k) => k === 'flaky').length).to.be.greaterThan(2);
    queue.add('bad'); // the object changed: one more pass
    await tick(20);
    await queue.shutdown();
    expect(runs.filter((k) => k === 'bad')).to.have.length(2);
  });
  it('runs a key at the sooner of two addAfter calls (a change is not held behind a long retry backoff)', async () => {
    const runs: number[] = [];
    const started = Date.now();
    const queue = new WorkQueue({
      name: 't',
      workers: 1,
      logger,
      reconcile: async () => {
        runs.push(Date.now() - started);
        return undefined;
      },
    });
    queue.start();
    queue.addAfter('model', 60_000); // e.g. the backoff after many failed passes
    queue.addAfter('model', 10); // a version changed: roll up soon
    queue.addAfter('model', 30_000); // a later one changes nothing
    await tick(100);
    await queue.shutdown();
    expect(runs).to.have.length(1);
    expect(runs[0]).to.be.lessThan(100);
  });
});
