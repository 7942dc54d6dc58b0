import { expect } from 'chai';
import { Redis } from 'ioredis';
import { MemoryUsageStore } from '../../../api/src/metering/memory-usage-store.js';
import { RedisUsageStore, type RedisUsageStoreOptions } from '../../../api/src/metering/redis-usage-store.js';
import type { UsageEvent } from '../../../api/src/metering/usage.js';
import { minuteStart } from '../../../api/src/metering/version-figures.js';
import { eventually } from '../../support/eventually.js';
import { deleteKeys, freePort, RedisServer, requireRedis, uniquePrefix, until } from '../../support/redis.js';
import { at, canonical, usageEvent, usageStoreContract } from './usage-store.contract.js';

const DAY_S = 86_400;
const window = { from: at('00:00:00'), to: at('23:00:00') };

async function connected(store: RedisUsageStore): Promise<RedisUsageStore> {
  await until(() => store.healthy(), 'the usage store to connect');
  return store;
}

describe('api/metering/redis-usage-store', () => {
  let url: string;
  const prefix = uniquePrefix('usage');
  let n = 0;
  const make = (options: Partial<RedisUsageStoreOptions> = {}) =>
    connected(
      new RedisUsageStore({
        url,
        keyPrefix: `${prefix}${n++}:`,
        retentionDays: 30,
        flushIntervalMs: 0,
        ...options,
      }),
    );
  before(async function () {
    url = await requireRedis(this);
  });
  after(() => url && deleteKeys(url, prefix));

  describe('on the shared Redis', () => {
    usageStoreContract(() => make());

    it('gives the same buckets as the memory store for a mixed stream of events', async () => {
      const redis = await make();
      const memory = new MemoryUsageStore(30);
      for (let i = 0; i < 300; i++) {
        const served = ['a', 'b', 'c', undefined][i % 4];
        const event = usageEvent({
          at: new Date(at('00:00:00').getTime() + i * 271_000),
          caller: `caller-${i % 3}`,
          requestedModel: ['a', 'b'][i % 2] as string,
          requestedVersion: i % 5 ? undefined : 'v0',
          servedModel: served,
          servedVersion: served && `v${i % 2}`,
          ok: served !== undefined,
          fallback: served !== undefined && served !== ['a', 'b'][i % 2],
          latencyMs: (i % 7) * 1.5,
          inputTokens: i,
          outputTokens: 2 * i,
          cost: served ? { amount: (i % 9) / 64, currency: i % 2 ? 'EUR' : 'USD' } : undefined,
        } as Partial<UsageEvent>);
        await redis.record(event);
        await memory.record(event);
      }
      expect(canonical(await redis.buckets(window))).to.deep.equal(canonical(await memory.buckets(window)));
      await redis.close();
    });

    it('two replicas on one Redis: record stays local until a flush, then both report the same totals', async () => {
      const keyPrefix = `${prefix}${n++}:`;
      const [one, two] = [await make({ keyPrefix }), await make({ keyPrefix })];
      await one.record(usageEvent({}));
      await two.record(usageEvent({ caller: 'team-b' }));
      await two.record(usageEvent({}));
      expect(one.pendingBuckets).to.equal(1);
      expect(await two.buckets(window), 'one has not flushed yet').to.have.length(2);
      await one.flush();
      const [seenByOne, seenByTwo] = [await one.buckets(window), await two.buckets(window)];
      expect(canonical(seenByOne)).to.deep.equal(canonical(seenByTwo));
      expect(seenByOne.map((b) => [b.caller, b.requests, b.inputTokens])).to.have.deep.members([
        ['team-a', 2, 20],
        ['team-b', 1, 10],
      ]);
      await Promise.all([one.close(), two.close()]);
    });

    it('per-version figures: two replicas on one Redis report the same, and the same as memory', async () => {
      const keyPrefix = `${prefix}${n++}:`;
      const [one, two] = [await make({ keyPrefix }), await make({ keyPrefix })];
      const memory = new MemoryUsageStore(30);
      const base = minuteStart(Date.now() - 3_600_000);
      const classes = ['upstream', 'rejected', 'refused'] as const;
      for (let i = 0; i < 300; i++) {
        const ok = i % 7 !== 0;
        const event = usageEvent({
          at: new Date(base + i * 3_100),
          caller: `caller-${i % 3}`,
          routedVersion: ['v1', 'v2', undefined][i % 3],
          servedModel: ok ? 'a' : undefined,
          servedVersion: ok ? 'v1' : undefined,
          ok,
          failure: ok ? undefined : classes[i % 3],
          fallback: ok && i % 5 === 0,
          cacheHit: ok && i % 11 === 0,
          latencyMs: (i % 13) * 64.25,
        });
        await (i % 2 ? one : two).record(event);
        await memory.record(event);
      }
      // Each replica flushes before reading its figures; flush both first, so neither read races the other's write.
      await Promise.all([one.flush(), two.flush()]);
      const span = { from: new Date(base), to: new Date(base + 20 * 60_000) };
      const [byOne, byTwo, byMemory] = await Promise.all([
        one.versionFigures('a', span),
        two.versionFigures('a', span),
        memory.versionFigures('a', span),
      ]);
      expect(byOne).to.deep.equal(byTwo);
      expect(byOne).to.deep.equal(byMemory);
      expect(Object.keys(byOne)).to.deep.equal(['v1', 'v2']);
      expect(byOne.v1?.requests).to.be.above(50);
      await Promise.all([one.close(), two.close()]);
    });

    it("a minute's counters expire the figures retention after the minute ends", async () => {
      const keyPrefix = `${prefix}${n++}:`;
      const store = await make({ keyPrefix, figuresRetentionHours: 2 });
      const minute = minuteStart(Date.now());
      await store.record(usageEvent({ at: new Date(minute + 1000), routedVersion: 'v1' }));
      await store.close();
      const admin = new Redis(url);
      const ttl = await admin.pttl(`${keyPrefix}minute:${minute}:a`);
      admin.disconnect();
      const expected = minute + 60_000 + 2 * 3_600_000 - Date.now();
      expect(ttl).to.be.within(expected - 2000, expected + 1000);
    });

    it('flushes by itself on the interval', async () => {
      const keyPrefix = `${prefix}${n++}:`;
      const [writer, reader] = [await make({ keyPrefix, flushIntervalMs: 50 }), await make({ keyPrefix })];
      await writer.record(usageEvent({}));
      await eventually(
        async () => ((await reader.buckets(window)).length === 1 ? true : undefined),
        'the interval flush',
        5000,
      );
      await Promise.all([writer.close(), reader.close()]);
    });

    it('every key it writes carries a TTL of the retention plus an hour', async () => {
      const keyPrefix = `${prefix}${n++}:`;
      const store = await make({ keyPrefix, retentionDays: 2 });
      await store.record(usageEvent({ requestedModel: 'a', servedModel: 'b', fallback: true }));
      await store.close();
      const admin = new Redis(url);
      const keys = await admin.keys(`${keyPrefix}*`);
      const ttls = await Promise.all(keys.map((k) => admin.ttl(k)));
      admin.disconnect();
      expect(keys.length, keys.join(' ')).to.equal(4); // two bucket hashes, the hour's index, the flush marker
      for (const ttl of ttls) expect(ttl).to.be.within(2 * DAY_S + 3590, 2 * DAY_S + 3600);
    });

    it('bounds what waits for Redis and counts what it drops', async () => {
      const errors: string[] = [];
      const store = new RedisUsageStore({
        url: `redis://127.0.0.1:${await freePort()}`, // nothing listens there
        retentionDays: 1,
        flushIntervalMs: 0,
        maxPendingBuckets: 2,
        onError: (op, e) => errors.push(`${op}:${(e as { code?: string }).code}`),
      });
      await store.record(usageEvent({ requestedModel: 'a', servedModel: 'a' })); // one bucket
      await store.record(usageEvent({ requestedModel: 'b', servedModel: 'b' })); // two
      await store.record(usageEvent({ requestedModel: 'c', servedModel: 'c' })); // dropped
      await store.record(usageEvent({ requestedModel: 'a', servedModel: 'a' })); // an existing bucket: kept
      expect([store.pendingBuckets, store.droppedEvents]).to.deep.equal([2, 1]);
      expect(errors).to.include('record:store_backlog_full');
      let failure: unknown;
      await store.flush().catch((err: unknown) => {
        failure = err;
      });
      expect((failure as { code?: string }).code).to.equal('store_unavailable');
      expect(store.pendingBuckets).to.equal(2);
      await store.close().catch(() => undefined);
    });
  });

  describe('against a redis-server of its own', () => {
    let server: RedisServer;
    before(async () => {
      server = await RedisServer.start();
    });
    after(() => server?.kill());

    it('a flush during an outage loses nothing: the next flush after the restart writes it all', async () => {
      const errors: string[] = [];
      const store = await connected(
        new RedisUsageStore({
          url: server.url,
          keyPrefix: uniquePrefix('outage'),
          retentionDays: 1,
          flushIntervalMs: 0,
          maxReconnectDelayMs: 100,
          onError: (op) => errors.push(op),
        }),
      );
      await store.record(usageEvent({})); // accepted before the outage, not yet flushed
      await server.kill();
      await store.record(usageEvent({ inputTokens: 5 }));
      await store.record(usageEvent({ requestedModel: 'b', servedModel: 'b' }));
      const failed = await store.flush().then(
        () => false,
        () => true,
      );
      expect(failed, 'a flush without Redis rejects').to.equal(true);
      expect(errors).to.include('flush');
      expect(store.pendingBuckets).to.equal(2);

      await server.start();
      await until(() => store.healthy(), 'the store to reconnect by itself');
      await store.flush();
      expect(store.pendingBuckets).to.equal(0);
      const totals = (await store.buckets(window)).map((b) => [b.model, b.requests, b.inputTokens]);
      expect(totals).to.have.deep.members([
        ['a', 2, 15],
        ['b', 1, 10],
      ]);
      await store.close();
    });

    it('a flush that timed out but ran on the server is not counted twice', async () => {
      const store = await connected(
        new RedisUsageStore({
          url: server.url,
          keyPrefix: uniquePrefix('unsure'),
          retentionDays: 1,
          flushIntervalMs: 0,
          commandTimeoutMs: 100,
        }),
      );
      await store.record(usageEvent({}));
      const { woke } = await server.stall(0.5);
      const failed = await store.flush().then(
        () => false,
        (err: { code?: string }) => err.code,
      );
      expect(failed).to.equal('store_timeout');
      await woke; // the server now runs the transaction it had received
      await store.record(usageEvent({ inputTokens: 1 }));
      await store.flush();
      const buckets = await store.buckets(window);
      expect(buckets.map((b) => [b.requests, b.inputTokens])).to.deep.equal([[2, 11]]);
      await store.close();
    });

    it('the minute counters ride in the flush transaction: no extra round trip, a few commands per flush', async () => {
      const store = await connected(
        new RedisUsageStore({
          url: server.url,
          keyPrefix: uniquePrefix('commands'),
          retentionDays: 1,
          flushIntervalMs: 0,
        }),
      );
      const admin = new Redis(server.url);
      const stats = async () => {
        const text = await admin.info('commandstats');
        return Object.fromEntries(
          [...text.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm)].map((x) => [x[1] as string, Number(x[2])]),
        );
      };
      const commandsOf = async (event: Partial<UsageEvent>) => {
        await store.record(usageEvent({ at: new Date(), ...event }));
        const before = await stats();
        await store.flush();
        const after = await stats();
        const diff: Record<string, number> = {};
        for (const [name, calls] of Object.entries(after)) {
          const d = calls - (before[name] ?? 0);
          if (d > 0 && name !== 'info') diff[name] = d;
        }
        return diff;
      };
      const without = await commandsOf({});
      const served = await commandsOf({ routedVersion: 'v1', latencyMs: 120.5 });
      const failedEvent = await commandsOf({
        routedVersion: 'v1',
        ok: false,
        failure: 'upstream',
        servedModel: undefined,
        servedVersion: undefined,
        latencyMs: 900,
      });
      await store.close();
      admin.disconnect();
      // One MULTI/EXEC either way: the minute counters add commands to it, never a round trip.
      for (const diff of [without, served, failedEvent])
        expect([diff.multi, diff.exec]).to.deep.equal([1, 1]);
      const extra = (diff: Record<string, number>) =>
        Object.fromEntries(
          Object.entries(diff)
            .map(([name, calls]) => [name, calls - (without[name] ?? 0)])
            .filter(([, d]) => d !== 0),
        );
      // requests and a latency bucket (HINCRBY), the latency sum (HINCRBYFLOAT), EXPIREAT of the minute's hash.
      expect(extra(served)).to.deep.equal({ hincrby: 2, hincrbyfloat: 1, expireat: 1 });
      // A failure: the hour's requests and errors and latency sum; the minute's requests, errors and latency
      // bucket (3 HINCRBY), latency sum (HINCRBYFLOAT) and EXPIREAT; the hour's index and the flush marker.
      expect(failedEvent).to.deep.equal({
        multi: 1,
        hincrby: 2 + 3,
        hincrbyfloat: 1 + 1,
        expire: 2,
        expireat: 1,
        sadd: 1,
        set: 1,
        exec: 1,
      });
    });
  });
});
