import { expect } from 'chai';
import { MemoryResponseCache } from '../../../api/src/cache/memory-cache.js';
import { response, responseCacheContract } from './response-cache.contract.js';

describe('api/cache/memory-cache', () => {
  responseCacheContract(async () => new MemoryResponseCache());

  it('evicts the least recently used entry past maxEntries (a hit counts as a use)', async () => {
    const cache = new MemoryResponseCache({ maxEntries: 2 });
    await cache.set('a', response('a'), 60);
    await cache.set('b', response('b'), 60);
    await cache.get('a');
    await cache.set('c', response('c'), 60);
    expect((await cache.get('b')).status).to.equal('miss');
    expect((await cache.get('a')).status).to.equal('hit');
    expect((await cache.get('c')).status).to.equal('hit');
    expect(cache.size.entries).to.equal(2);
  });

  it('evicts by total UTF-8 body bytes, and keeps no entry larger than maxBytes', async () => {
    const cache = new MemoryResponseCache({ maxBytes: 10 });
    await cache.set('a', response('éé'), 60); // 4 bytes
    await cache.set('b', response('1234'), 60);
    expect(cache.size).to.deep.equal({ entries: 2, bytes: 8 });
    await cache.set('c', response('123'), 60);
    expect((await cache.get('a')).status).to.equal('miss');
    expect(cache.size).to.deep.equal({ entries: 2, bytes: 7 });
    await cache.set('huge', response('x'.repeat(11)), 60);
    expect((await cache.get('huge')).status).to.equal('miss');
    expect((await cache.get('b')).status).to.equal('hit');
    await cache.set('b', response('12'), 60);
    expect(cache.size).to.deep.equal({ entries: 2, bytes: 5 });
  });

  it('drops an expired entry when it is looked up', async () => {
    let now = 1000;
    const cache = new MemoryResponseCache({ now: () => now });
    await cache.set('a', response('abc'), 2);
    now += 1999;
    expect((await cache.get('a')).status).to.equal('hit');
    now += 1;
    expect((await cache.get('a')).status).to.equal('miss');
    expect(cache.size).to.deep.equal({ entries: 0, bytes: 0 });
  });
});
