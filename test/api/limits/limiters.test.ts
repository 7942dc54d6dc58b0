import { once } from 'node:events';
import { expect } from 'chai';
import { pino } from 'pino';
import { createRedisClient } from '../../../api/src/cache/redis-client.js';
import { MemoryRateLimiter, RedisRateLimiter } from '../../../api/src/limits/limiters.js';
import { deleteKeys, REDIS_URL, RedisServer, requireRedis, uniquePrefix } from '../../support/redis.js';
import { rateLimiterContract } from './limiter.contract.js';

rateLimiterContract('MemoryRateLimiter', {
  make: async (now) => new MemoryRateLimiter({ windowMs: 1000, now }),
});

describe('RedisRateLimiter (real Redis)', () => {
  const prefix = uniquePrefix('rl');
  before(async function () {
    await requireRedis(this);
  });
  after(async () => {
    await deleteKeys(REDIS_URL, prefix);
  });

  rateLimiterContract('RedisRateLimiter', {
    // A connected client: before the first connection the limiter lets requests through (fail open).
    make: async (now) => {
      const client = createRedisClient({ url: REDIS_URL });
      await once(client, 'ready');
      const limiter = new RedisRateLimiter({
        client,
        keyPrefix: prefix,
        windowMs: 1000,
        commandTimeoutMs: 2000,
        now,
      });
      return {
        take: (caller: string, limit: number) => limiter.take(caller, limit),
        close: async () => {
          await limiter.close();
          client.disconnect();
        },
      };
    },
  });

  it('lets requests through, counted as errors, while Redis is down, and limits again when it is back', async function () {
    this.timeout(30_000);
    const redis = await RedisServer.start();
    const errors: string[] = [];
    const limiter = new RedisRateLimiter({
      url: redis.url,
      keyPrefix: prefix,
      windowMs: 60_000,
      commandTimeoutMs: 200,
      onError: (operation) => errors.push(operation),
      logger: pino({ level: 'silent' }),
    });
    try {
      const until = async (allowed: boolean) => {
        for (let i = 0; i < 100; i++) {
          if ((await limiter.take('down-test', 1)).allowed === allowed) return;
          await new Promise((r) => setTimeout(r, 100));
        }
        throw new Error(`never ${allowed ? 'allowed' : 'refused'}`);
      };
      await until(false); // the first take counts 1; the next ones are over the limit of 1
      await redis.kill();
      expect((await limiter.take('down-test', 1)).allowed).to.equal(true);
      expect(errors).to.include('count');
      await redis.start();
      await until(false);
    } finally {
      await limiter.close();
      await redis.kill();
    }
  });
});
