/**
 * The one contract every UsageStore passes (memory, Redis): the same events give the same buckets. Each
 * implementation's test file calls `usageStoreContract` with a factory of fresh, empty stores. Costs and
 * latencies are sums of binary fractions so that float addition in JS and in Redis agree exactly.
 */
import { expect } from 'chai';
import type { UsageBucket, UsageEvent, UsageStore } from '../../../api/src/metering/usage.js';
import { minuteStart } from '../../../api/src/metering/version-figures.js';

export const at = (iso: string): Date => new Date(`2026-11-26T${iso}Z`);

export const usageEvent = (e: Partial<UsageEvent>): UsageEvent => ({
  at: at('10:15:00'),
  caller: 'team-a',
  requestedModel: 'a',
  servedModel: 'a',
  servedVersion: 'v1',
  ok: true,
  fallback: false,
  latencyMs: 100,
  inputTokens: 10,
  outputTokens: 20,
  cost: { amount: 0.25, currency: 'USD' },
  ...e,
});

const failed: Partial<UsageEvent> = {
  ok: false,
  servedModel: undefined,
  servedVersion: undefined,
  inputTokens: 0,
  outputTokens: 0,
  cost: undefined,
};

export const bucket = (b: Partial<UsageBucket>): UsageBucket => ({
  start: at('10:00:00').getTime(),
  model: 'a',
  version: 'v1',
  caller: 'team-a',
  requests: 0,
  errors: 0,
  cacheHits: 0,
  fallbacks: 0,
  servedBy: {},
  latencyMsSum: 0,
  served: 0,
  inputTokens: 0,
  outputTokens: 0,
  cost: 0,
  currency: 'USD',
  ...b,
});

/** Order within one hour is not part of the contract; sorting by start is. */
export function canonical(buckets: UsageBucket[]): UsageBucket[] {
  for (let i = 1; i < buckets.length; i++)
    expect(buckets[i]!.start, 'sorted by start').to.be.at.least(buckets[i - 1]!.start);
  const cmp = (x: string | number, y: string | number) => (x < y ? -1 : x > y ? 1 : 0);
  return [...buckets].sort(
    (x, y) =>
      cmp(x.start, y.start) || cmp(x.model, y.model) || cmp(x.version, y.version) || cmp(x.caller, y.caller),
  );
}

const HOUR = { from: at('10:00:00'), to: at('11:00:00') };

export function usageStoreContract(make: () => Promise<UsageStore & { close?(): Promise<void> }>): void {
  describe('UsageStore contract', () => {
    let store: UsageStore & { close?(): Promise<void> };
    beforeEach(async () => {
      store = await make();
    });
    afterEach(() => store.close?.());
    const read = async (query = HOUR) => canonical(await store.buckets(query));

    it('a served request: one bucket with the request and what it consumed', async () => {
      await store.record(usageEvent({}));
      expect(await read()).to.deep.equal([
        bucket({
          requests: 1,
          servedBy: { a: 1 },
          latencyMsSum: 100,
          served: 1,
          inputTokens: 10,
          outputTokens: 20,
          cost: 0.25,
        }),
      ]);
    });

    it('a cache hit: a request of the model asked for, served by no model, nothing consumed', async () => {
      await store.record(
        usageEvent({
          cacheHit: true,
          servedModel: undefined,
          servedVersion: undefined,
          inputTokens: 0,
          outputTokens: 0,
          cost: undefined,
          latencyMs: 2,
        }),
      );
      expect(await read()).to.deep.equal([
        bucket({ version: '', requests: 1, cacheHits: 1, latencyMsSum: 2 }),
      ]);
    });

    it('a fallback: the request to the model asked for, tokens and cost to the one that served', async () => {
      await store.record(
        usageEvent({
          requestedModel: 'a',
          requestedVersion: 'v2',
          servedModel: 'b',
          servedVersion: 'v9',
          fallback: true,
        }),
      );
      expect(await read()).to.deep.equal([
        bucket({ version: 'v2', requests: 1, fallbacks: 1, servedBy: { b: 1 }, latencyMsSum: 100 }),
        bucket({ model: 'b', version: 'v9', served: 1, inputTokens: 10, outputTokens: 20, cost: 0.25 }),
      ]);
    });

    it('a failure: an error of the model and version asked for, nothing served, USD by default', async () => {
      await store.record(usageEvent({ ...failed, requestedVersion: 'v2', latencyMs: 7 }));
      await store.record(usageEvent({ ...failed, latencyMs: 5 }));
      expect(await read()).to.deep.equal([
        bucket({ version: '', requests: 1, errors: 1, latencyMsSum: 5 }),
        bucket({ version: 'v2', requests: 1, errors: 1, latencyMsSum: 7 }),
      ]);
    });

    it('adds up events of one hour, model, version and caller; callers stay apart', async () => {
      await store.record(usageEvent({ latencyMs: 10.5, cost: { amount: 0.125, currency: 'USD' } }));
      await store.record(
        usageEvent({ at: at('10:59:59.999'), latencyMs: 20.25, inputTokens: 1, outputTokens: 2 }),
      );
      await store.record(usageEvent({ caller: 'team-b', cost: { amount: 0.5, currency: 'EUR' } }));
      const [a, b] = await read();
      expect(a).to.deep.equal(
        bucket({
          requests: 2,
          servedBy: { a: 2 },
          latencyMsSum: 30.75,
          served: 2,
          inputTokens: 11,
          outputTokens: 22,
          cost: 0.375,
        }),
      );
      expect(b).to.deep.equal(
        bucket({
          caller: 'team-b',
          requests: 1,
          servedBy: { a: 1 },
          latencyMsSum: 100,
          served: 1,
          inputTokens: 10,
          outputTokens: 20,
          cost: 0.5,
          currency: 'EUR',
        }),
      );
    });

    it('float sums stay close to the JS sum', async () => {
      for (const amount of [0.01, 0.02, 0.003])
        await store.record(usageEvent({ cost: { amount, currency: 'USD' }, latencyMs: 0.1 }));
      const [a] = await read();
      expect(a?.cost).to.be.closeTo(0.033, 1e-12);
      expect(a?.latencyMsSum).to.be.closeTo(0.3, 1e-12);
    });

    it('a bucket belongs to the window its hour starts in: [from, to)', async () => {
      for (const time of ['09:59:59.999', '10:00:00', '10:59:59.999', '11:00:00', '12:30:00'])
        await store.record(usageEvent({ at: at(time) }));
      const starts = async (from: string, to: string) =>
        (await store.buckets({ from: at(from), to: at(to) })).map((b) => [
          new Date(b.start).toISOString().slice(11, 16),
          b.requests,
        ]);
      expect(await starts('09:00:00', '13:00:00')).to.deep.equal([
        ['09:00', 1],
        ['10:00', 2],
        ['11:00', 1],
        ['12:00', 1],
      ]);
      expect(await starts('10:00:00', '11:00:00')).to.deep.equal([['10:00', 2]]);
      expect(await starts('09:30:00', '11:00:00.001')).to.deep.equal([
        ['10:00', 2],
        ['11:00', 1],
      ]);
      expect(await starts('13:00:00', '15:00:00')).to.deep.equal([]);
      expect(await starts('10:00:00', '10:00:00')).to.deep.equal([]);
    });

    it('the model filter keeps the buckets of that model only, sorted by start', async () => {
      await store.record(usageEvent({ at: at('12:10:00') }));
      await store.record(
        usageEvent({ at: at('10:10:00'), requestedModel: 'a', servedModel: 'b', fallback: true }),
      );
      await store.record(usageEvent({ at: at('11:10:00'), requestedModel: 'c', servedModel: 'c' }));
      const window = { from: at('00:00:00'), to: at('23:00:00') };
      const of = async (model?: string) =>
        (await store.buckets({ ...window, ...(model ? { model } : {}) })).map(
          (b) => `${b.model}@${new Date(b.start).getUTCHours()}`,
        );
      expect(await of('a')).to.deep.equal(['a@10', 'a@12']);
      expect(await of('b')).to.deep.equal(['b@10']);
      expect(await of('z')).to.deep.equal([]);
      expect((await of()).sort()).to.deep.equal(['a@10', 'a@12', 'b@10', 'c@11']);
    });

    it("the caller filter keeps that caller's buckets only, a fallback's served side included", async () => {
      await store.record(
        usageEvent({ caller: 'alice', requestedModel: 'a', servedModel: 'b', fallback: true }),
      );
      await store.record(usageEvent({ caller: 'bob' }));
      await store.record(usageEvent({ caller: 'bob', requestedModel: 'c', servedModel: 'c' }));
      const of = async (query: { caller?: string; model?: string }) =>
        (await store.buckets({ ...HOUR, ...query })).map((b) => `${b.caller}:${b.model}`).sort();
      expect(await of({ caller: 'alice' })).to.deep.equal(['alice:a', 'alice:b']);
      expect(await of({ caller: 'bob' })).to.deep.equal(['bob:a', 'bob:c']);
      expect(await of({ caller: 'bob', model: 'c' })).to.deep.equal(['bob:c']);
      expect(await of({ caller: 'carol' })).to.deep.equal([]);
      expect(await of({})).to.deep.equal(['alice:a', 'alice:b', 'bob:a', 'bob:c']);
    });

    describe('versionFigures: per-version minute figures', () => {
      // Relative to now: Redis expires a minute's counters a retention after the minute.
      const base = minuteStart(Date.now() - 3_600_000);
      const m = (minute: number, ms = 0) => new Date(base + minute * 60_000 + ms);
      const served = (e: Partial<UsageEvent>) => usageEvent({ at: m(0, 10_000), routedVersion: 'v2', ...e });
      const span = (from: number, to: number) => ({ from: m(0, from), to: m(0, to) });

      it("adds up each routed version's requests, errors, fallbacks, cache hits and latency, every caller's", async () => {
        await store.record(served({ latencyMs: 100 }));
        await store.record(
          served({ caller: 'team-b', servedVersion: 'v1', fallback: true, latencyMs: 100.5 }),
        );
        await store.record(served({ cacheHit: true, servedModel: undefined, latencyMs: 1 }));
        await store.record(served({ ...failed, failure: 'upstream', latencyMs: 900.25 }));
        await store.record(served({ ...failed, failure: 'rejected', latencyMs: 40 }));
        await store.record(served({ ...failed, failure: 'refused', latencyMs: 3 }));
        await store.record(served({ routedVersion: 'v3', servedVersion: 'v3', latencyMs: 300 }));
        await store.record(served({ routedVersion: undefined, latencyMs: 5 }));
        await store.record(served({ requestedModel: 'b', servedModel: 'b', routedVersion: 'v1' }));
        const figures = await store.versionFigures('a', span(0, 60_000));
        expect(Object.keys(figures)).to.deep.equal(['v2', 'v3']);
        const { p50LatencyMs, p95LatencyMs, p99LatencyMs, ...counts } = figures.v2 ?? {};
        expect(counts).to.deep.equal({
          requests: 4,
          errors: 1,
          errorRate: 0.25,
          fallbacks: 1,
          fallbackRate: 0.25,
          cacheHits: 1,
          avgLatencyMs: (100 + 100.5 + 900.25 + 40) / 4,
        });
        // One each in (25, 50], (75, 100], (100, 150] and (800, 1000].
        expect(p50LatencyMs).to.be.closeTo(100, 1e-9);
        expect(p95LatencyMs).to.be.closeTo(960, 1e-9);
        expect(p99LatencyMs).to.be.closeTo(992, 1e-9);
        expect(figures.v3).to.include({ requests: 1, errors: 0, avgLatencyMs: 300 });
        expect(figures.v3?.p95LatencyMs).to.be.closeTo(200 + 100 * 0.95, 1e-9);
      });

      it('reads the minutes that overlap [from, to), whole', async () => {
        for (const ms of [59_999, 60_000, 150_000, 240_000])
          await store.record(served({ at: m(0, ms), latencyMs: 50 }));
        const requests = async (from: number, to: number) =>
          (await store.versionFigures('a', span(from, to))).v2?.requests ?? 0;
        expect(await requests(60_000, 120_000), 'minute 1 only').to.equal(1);
        expect(await requests(30_000, 120_000), 'minute 0 overlaps').to.equal(2);
        expect(await requests(60_000, 240_000), 'minute 4 starts at to').to.equal(2);
        expect(await requests(60_000, 240_001), 'minute 4 overlaps').to.equal(3);
        expect(await requests(0, 300_000), 'all').to.equal(4);
        expect(await requests(300_000, 900_000), 'nothing after').to.equal(0);
      });

      it('keeps models apart; a model with nothing counted has no versions', async () => {
        await store.record(served({}));
        await store.record(
          served({ requestedModel: 'b', servedModel: 'b', routedVersion: 'v2', latencyMs: 7 }),
        );
        expect((await store.versionFigures('a', span(0, 60_000))).v2?.avgLatencyMs).to.equal(100);
        expect((await store.versionFigures('b', span(0, 60_000))).v2?.avgLatencyMs).to.equal(7);
        expect(await store.versionFigures('c', span(0, 60_000))).to.deep.equal({});
      });
    });
  });
}
