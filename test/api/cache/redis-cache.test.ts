import { expect } from 'chai';
import { Redis } from 'ioredis';
import { RedisResponseCache } from '../../../api/src/cache/redis-cache.js';
import {
  deleteKeys,
  memoryLogger,
  RedisServer,
  requireRedis,
  uniquePrefix,
  until,
} from '../../support/redis.js';
import { response, responseCacheContract } from './response-cache.contract.js';

async function connected(cache: RedisResponseCache): Promise<RedisResponseCache> {
  await until(() => cache.healthy(), 'the cache to connect');
  return cache;
}

describe('api/cache/redis-cache', () => {
  let url: string;
  const prefix = uniquePrefix('cache');
  before(async function () {
    url = await requireRedis(this);
  });
  after(() => url && deleteKeys(url, prefix));

  describe('on the shared Redis', () => {
    let n = 0;
    responseCacheContract(() =>
      connected(new RedisResponseCache({ url, keyPrefix: `${prefix}${n++}:`, commandTimeoutMs: 1000 })),
    );

    it('stores one JSON string per entry under the prefix, with the TTL in Redis', async () => {
      const cache = await connected(new RedisResponseCache({ url, keyPrefix: `${prefix}raw:` }));
      const admin = new Redis(url);
      try {
        await cache.set('k', response('{"a":1}'), 30);
        expect(JSON.parse((await admin.get(`${prefix}raw:k`)) as string)).to.deep.equal(response('{"a":1}'));
        expect(await admin.pttl(`${prefix}raw:k`)).to.be.within(29_000, 30_000);
      } finally {
        admin.disconnect();
        await cache.close();
      }
    });

    it('a lookup right after start waits for the first connection instead of reporting Redis as down', async () => {
      const errors: string[] = [];
      const cache = new RedisResponseCache({
        url,
        keyPrefix: `${prefix}fresh:`,
        commandTimeoutMs: 2000,
        observer: (operation) => errors.push(operation),
      });
      try {
        expect(cache.healthy()).to.equal(false); // not connected yet: a command now would fail at once
        expect((await cache.get('nothing-here')).status).to.equal('miss');
        expect(errors).to.deep.equal([]);
      } finally {
        await cache.close();
      }
    });

    it('an entry it did not write is an error, reported to the observer, not a hit', async () => {
      const seen: string[] = [];
      const cache = await connected(
        new RedisResponseCache({
          url,
          keyPrefix: `${prefix}bad:`,
          observer: (op, e) => seen.push(op + e.name),
        }),
      );
      const admin = new Redis(url);
      try {
        await admin.set(`${prefix}bad:k`, '{"body": 1}', 'EX', 30);
        const lookup = await cache.get('k');
        expect(lookup.status).to.equal('error');
        expect(seen).to.deep.equal(['getCacheEntryInvalidError']);
      } finally {
        admin.disconnect();
        await cache.close();
      }
    });
  });

  describe('against a redis-server of its own', () => {
    let server: RedisServer;
    let cache: RedisResponseCache;
    const seen: string[] = [];
    const { logger, lines } = memoryLogger();
    before(async () => {
      server = await RedisServer.start();
      cache = await connected(
        new RedisResponseCache({
          url: server.url,
          observer: (op) => seen.push(op),
          logger,
          logIntervalMs: 60_000,
          maxReconnectDelayMs: 200,
        }),
      );
    });
    after(async () => {
      await cache?.close();
      await server?.kill();
    });

    it('a stalled Redis turns a lookup into an error within the command budget', async () => {
      await cache.set('k', response('v'), 60);
      const { woke } = await server.stall(1);
      const t0 = performance.now();
      const lookup = await cache.get('k');
      const elapsed = performance.now() - t0;
      expect(lookup.status).to.equal('error');
      expect(lookup.status === 'error' && (lookup.error as { code?: string }).code).to.equal('store_timeout');
      expect(elapsed).to.be.below(150);
      await woke;
      expect((await cache.get('k')).status).to.equal('hit');
    });

    it('a killed Redis: fast errors, set does not throw, one log line; back by itself on restart', async () => {
      seen.length = 0;
      const logged = lines.length;
      await server.kill();
      for (let i = 0; i < 20; i++) {
        const t0 = performance.now();
        const lookup = await cache.get('k');
        expect(performance.now() - t0).to.be.below(200);
        expect(lookup.status).to.equal('error');
        await cache.set('k', response('v'), 60);
      }
      expect(cache.healthy()).to.equal(false);
      expect(seen).to.include.members(['get', 'set']);
      const warnings = lines.slice(logged).filter((l) => l.level === 40 && l.operation === 'get');
      expect(warnings).to.have.length(1);

      await server.start();
      await until(() => cache.healthy(), 'the client to reconnect by itself');
      expect((await cache.get('k')).status).to.equal('miss'); // no persistence: the restart emptied it
      await cache.set('k', response('again'), 60);
      expect(await cache.get('k')).to.deep.equal({ status: 'hit', value: response('again') });
      expect(lines.slice(logged).some((l) => l.msg === 'Redis is reachable again')).to.equal(true);
    });
  });
});
