import { once } from 'node:events';
import { expect } from 'chai';
import { pino } from 'pino';
import { createRedisClient } from '../../../api/src/cache/redis-client.js';
import { MemoryBudgetStore, RedisBudgetStore } from '../../../api/src/limits/budget-store.js';
import { deleteKeys, REDIS_URL, RedisServer, requireRedis, uniquePrefix } from '../../support/redis.js';
import { budgetStoreContract } from './budget-store.contract.js';

budgetStoreContract('MemoryBudgetStore', { make: async (now) => new MemoryBudgetStore({ now }) });

describe('MemoryBudgetStore', () => {
  it('forgets a counter past its TTL', async () => {
    let clock = 1_000_000;
    const store = new MemoryBudgetStore({ now: () => clock });
    const counter = { key: 'k', previousWeight: 0, limit: 10, amount: 10, ttlMs: 1000 };
    await store.reserve([counter]);
    expect((await store.reserve([counter]))?.refused).to.equal(0);
    clock += 1000;
    expect((await store.reserve([counter]))?.refused).to.equal(undefined);
  });
});

describe('RedisBudgetStore (real Redis)', () => {
  const prefix = uniquePrefix('budgets');
  before(async function () {
    await requireRedis(this);
  });
  after(async () => {
    await deleteKeys(REDIS_URL, prefix);
  });

  budgetStoreContract('RedisBudgetStore', {
    make: async () => {
      const client = createRedisClient({ url: REDIS_URL });
      await once(client, 'ready');
      const store = new RedisBudgetStore({ client, keyPrefix: prefix, commandTimeoutMs: 2000 });
      return {
        reserve: (counters) => store.reserve(counters),
        adjust: (key, delta) => store.adjust(key, delta),
        close: async () => {
          await store.close();
          client.disconnect();
        },
      };
    },
  });

  it('two stores on one Redis share the counters: the second cannot take what the first took', async () => {
    const [one, two] = [0, 1].map(
      () => new RedisBudgetStore({ url: REDIS_URL, keyPrefix: prefix, commandTimeoutMs: 2000 }),
    );
    try {
      const counter = { key: '{shared}:tok:1', previousWeight: 0, limit: 100, amount: 30, ttlMs: 60_000 };
      const results = await Promise.all([...Array(6)].map((_, i) => (i % 2 ? one : two)?.reserve([counter])));
      expect(results.filter((r) => r?.refused === undefined)).to.have.length(3);
    } finally {
      await one?.close();
      await two?.close();
    }
  });

  it('answers undefined (the request goes on), counted as an error, while Redis is down', async function () {
    this.timeout(30_000);
    const redis = await RedisServer.start();
    const errors: string[] = [];
    const store = new RedisBudgetStore({
      url: redis.url,
      keyPrefix: prefix,
      commandTimeoutMs: 200,
      onError: (operation) => errors.push(operation),
      logger: pino({ level: 'silent' }),
    });
    const counter = { key: 'down', previousWeight: 0, limit: 10, amount: 10, ttlMs: 60_000 };
    try {
      expect((await store.reserve([counter]))?.refused).to.equal(undefined);
      await redis.kill();
      expect(await store.reserve([counter])).to.equal(undefined);
      expect(errors).to.include('reserve');
    } finally {
      await store.close();
      await redis.kill();
    }
  });
});
