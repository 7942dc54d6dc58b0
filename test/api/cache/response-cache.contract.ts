/**
 * The one contract every ResponseCache passes (memory LRU, Redis). Each implementation's test file calls
 * `responseCacheContract` with a factory that returns a fresh, empty, working cache.
 */
import { expect } from 'chai';
import type { CachedResponse, ResponseCache } from '../../../api/src/cache/response-cache.js';
import { sleep } from '../../support/redis.js';

export const response = (body: string, extra: Partial<CachedResponse> = {}): CachedResponse => ({
  body,
  model: 'sentiment',
  version: 'v1',
  storedAt: 1_790_000_000_000,
  inputTokens: 12,
  outputTokens: 34,
  ...extra,
});

export function responseCacheContract(make: () => Promise<ResponseCache>): void {
  describe('ResponseCache contract', () => {
    let cache: ResponseCache;
    beforeEach(async () => {
      cache = await make();
    });
    afterEach(() => cache.close());

    it('a miss, then a hit with the value as stored', async () => {
      expect(await cache.get('k1')).to.deep.equal({ status: 'miss' });
      const value = response('{"label":"positive"}');
      await cache.set('k1', value, 60);
      expect(await cache.get('k1')).to.deep.equal({ status: 'hit', value });
    });

    it('keeps an absent version absent', async () => {
      const { version: _, ...noVersion } = response('{}');
      await cache.set('k', noVersion, 60);
      const lookup = await cache.get('k');
      expect(lookup).to.deep.equal({ status: 'hit', value: noVersion });
    });

    it('an entry expires after its TTL; an overwrite renews the TTL', async () => {
      await cache.set('short', response('a'), 1);
      await cache.set('renewed', response('b'), 1);
      await cache.set('renewed', response('c'), 60);
      expect((await cache.get('short')).status).to.equal('hit');
      await sleep(1100);
      expect(await cache.get('short')).to.deep.equal({ status: 'miss' });
      expect(await cache.get('renewed')).to.deep.equal({ status: 'hit', value: response('c') });
    });

    it('a TTL of zero or less stores nothing', async () => {
      await cache.set('zero', response('a'), 0);
      await cache.set('negative', response('a'), -5);
      expect(await cache.get('zero')).to.deep.equal({ status: 'miss' });
      expect(await cache.get('negative')).to.deep.equal({ status: 'miss' });
    });

    it('an overwrite replaces the value', async () => {
      await cache.set('k', response('old', { outputTokens: 1 }), 60);
      await cache.set('k', response('new', { model: 'other', outputTokens: 2 }), 60);
      expect(await cache.get('k')).to.deep.equal({
        status: 'hit',
        value: response('new', { model: 'other', outputTokens: 2 }),
      });
    });

    it('large values with multi-byte text come back byte for byte', async () => {
      const body = JSON.stringify({ text: 'héllo wörld ✓ 日本 '.repeat(60_000) }); // ~1.5 MB of UTF-8
      await cache.set('large', response(body), 60);
      const lookup = await cache.get('large');
      expect(lookup.status).to.equal('hit');
      expect(lookup.status === 'hit' && lookup.value.body === body).to.equal(true);
    });

    it('distinct keys are independent, whatever characters they hold', async () => {
      const keys = ['a', 'b', 'sha256:ab/cd ef', 'ключ'];
      for (const [i, key] of keys.entries()) await cache.set(key, response(`v${i}`), 60);
      await cache.set('a', response('changed'), 60);
      expect(await cache.get('b')).to.deep.equal({ status: 'hit', value: response('v1') });
      expect(await cache.get('ключ')).to.deep.equal({ status: 'hit', value: response('v3') });
      expect(await cache.get('c')).to.deep.equal({ status: 'miss' });
      expect(await cache.get('a')).to.deep.equal({ status: 'hit', value: response('changed') });
    });

    it('healthy() while the store answers, and a known kind', () => {
      expect(cache.healthy()).to.equal(true);
      expect(['memory', 'redis']).to.include(cache.kind);
    });
  });
}
