import { expect } from 'chai';
import { cacheKey, cachePlan, canonicalJson } from '../../../api/src/inference/cache-key.js';

const base = {
  mode: 'default' as const,
  deterministic: true,
  ttlSeconds: 60,
  model: 'story-writer',
  version: 'v2',
  operation: 'generate',
  fields: { input: { kind: 'chat', messages: [{ role: 'user', content: 'Hi' }] }, params: { maxTokens: 8 } },
};

describe('api/inference: cache plans and keys', () => {
  it('looks up deterministic requests, skips sampled ones unless forced, and bypasses on no-cache', () => {
    expect(cachePlan(base)).to.include({ status: 'MISS', ttlSeconds: 60 }).and.have.property('key');
    expect(cachePlan({ ...base, deterministic: false })).to.deep.equal({ ttlSeconds: 0, status: 'SKIP' });
    expect(cachePlan({ ...base, deterministic: false, mode: 'force' })).to.have.property('key');
    expect(cachePlan({ ...base, mode: 'bypass' })).to.deep.equal({ ttlSeconds: 0, status: 'BYPASS' });
    expect(cachePlan({ ...base, ttlSeconds: 0, mode: 'force' })).to.deep.equal({
      ttlSeconds: 0,
      status: 'SKIP',
    });
  });

  it('keys on what changes the output: not on key order or absent fields, but on model, version, operation and values', () => {
    const key = cacheKey(base);
    expect(key).to.match(/^[0-9a-f]{64}$/);
    const reordered = {
      ...base,
      fields: {
        params: { maxTokens: 8, stop: undefined },
        input: { messages: [{ content: 'Hi', role: 'user' }], kind: 'chat' },
      },
    };
    expect(cacheKey(reordered)).to.equal(key);
    for (const changed of [
      { ...base, model: 'other' },
      { ...base, version: 'v1' },
      { ...base, version: undefined },
      { ...base, operation: 'embed' },
      { ...base, fields: { ...base.fields, params: { maxTokens: 9 } } },
      {
        ...base,
        fields: { ...base.fields, input: { kind: 'chat', messages: [{ role: 'user', content: 'hi' }] } },
      },
    ]) {
      expect(cacheKey(changed)).to.not.equal(key);
    }
  });

  it('writes canonical JSON: JSON.stringify of the key-sorted value', () => {
    const samples: unknown[] = [
      null,
      'x"y',
      3.5,
      [1, undefined, 'a', null, { b: 1, a: [true, false] }],
      { z: { y: 'é\n', x: [] }, a: undefined, m: 0, k: {} },
    ];
    const sorted = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sorted)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.keys(v)
                .sort()
                .map((k) => [k, sorted((v as Record<string, unknown>)[k])]),
            )
          : v;
    for (const sample of samples) {
      expect(canonicalJson(sample)).to.equal(JSON.stringify(sorted(sample)));
      expect(JSON.parse(canonicalJson(sample))).to.deep.equal(JSON.parse(JSON.stringify(sample)));
    }
  });
});
