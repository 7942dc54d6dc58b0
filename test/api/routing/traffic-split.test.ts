import { expect } from 'chai';
import type { CatalogModel } from '../../../api/src/catalog/catalog.js';
import { buildFallbackChain } from '../../../api/src/routing/fallback-chain.js';
import { selectVersion } from '../../../api/src/routing/select-version.js';
import {
  effectiveTraffic,
  pickTrafficVersion,
  randomPick,
  stickyKey,
  stickyPick,
  type TrafficRequest,
} from '../../../api/src/routing/traffic-split.js';
import type { AIModelSpec, TrafficShare } from '../../../crds/src/index.js';
import { catalogModel, catalogVersion, lookupIn } from '../support/catalog.js';

const shares = (text: string): TrafficShare[] =>
  text.split(',').map((p) => {
    const [version, weight] = p.split('=');
    return { version: version as string, weight: Number(weight) };
  });
const request = (caller = 'alice', headers: Record<string, string> = {}): TrafficRequest => ({
  caller,
  header: (name) => headers[name],
});
/** A seeded uniform source (mulberry32), so proportions are checked on the same draws every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const split = (
  spec: Partial<AIModelSpec>,
  ...flags: [string, { ready?: boolean; deprecated?: boolean }?][]
) =>
  catalogModel(
    'm',
    flags.map(([v, f]) => catalogVersion(v, f ?? {})),
    spec,
  );

describe('api/routing: effectiveTraffic', () => {
  const table: [string, CatalogModel, string | undefined][] = [
    ['no spec.traffic', split({}, ['v2'], ['v3']), undefined],
    ['every version ready', split({ traffic: shares('v2=90,v3=10') }, ['v2'], ['v3']), 'v2=90,v3=10'],
    [
      'the canary not ready',
      split({ traffic: shares('v2=90,v3=10') }, ['v2'], ['v3', { ready: false }]),
      'v2=100',
    ],
    [
      'the canary deprecated',
      split({ traffic: shares('v2=90,v3=10') }, ['v2'], ['v3', { deprecated: true }]),
      'v2=100',
    ],
    ['a version that does not exist', split({ traffic: shares('v2=80,v9=20') }, ['v2'], ['v3']), 'v2=100'],
    [
      'nothing of the split ready',
      split({ traffic: shares('v2=90,v3=10') }, ['v2', { ready: false }], ['v1']),
      '',
    ],
  ];
  for (const [what, model, expected] of table) {
    it(`given ${what}, is ${expected === undefined ? 'undefined' : `"${expected}"`}`, () => {
      const got = effectiveTraffic(model);
      expect(got?.map((t) => `${t.version}=${t.weight}`).join(',')).to.equal(expected);
    });
  }

  it('given an override and no spec.traffic, the canary takes its weight from the default version', () => {
    const model = split({}, ['v3'], ['v2']);
    const withDefault = catalogModel('m', [catalogVersion('v3'), catalogVersion('v2', { default: true })]);
    expect(effectiveTraffic(withDefault, withDefault.versions, { version: 'v3', weight: 5 })).to.deep.equal(
      shares('v2=95,v3=5'),
    );
    // No version marked default: the newest (v3) is the stable side.
    expect(effectiveTraffic(model, model.versions, { version: 'v2', weight: 5 })).to.deep.equal(
      shares('v3=95,v2=5'),
    );
  });
});

describe('api/routing: the pick', () => {
  it('draws at random in proportion to the weights', () => {
    expect(randomPick(shares('v2=90,v3=10'), 0)).to.equal('v2');
    expect(randomPick(shares('v2=90,v3=10'), 0.8999)).to.equal('v2');
    expect(randomPick(shares('v2=90,v3=10'), 0.9)).to.equal('v3');
    expect(randomPick(shares('v2=100,v3=0'), 0.9999)).to.equal('v2');
    expect(randomPick(shares('v2=0,v3=100'), 0)).to.equal('v3');
  });

  it('sticky: the same key always gets the same version, never a version at weight 0', () => {
    for (let i = 0; i < 200; i++) {
      const first = stickyPick(shares('v2=50,v3=50'), `k${i}`);
      for (let j = 0; j < 3; j++) expect(stickyPick(shares('v2=50,v3=50'), `k${i}`)).to.equal(first);
      expect(stickyPick(shares('v2=100,v3=0'), `k${i}`)).to.equal('v2');
    }
  });

  // 10,000 keys at 80/20: sd = sqrt(10000 * 0.8 * 0.2) = 40, so 3 sd = 120 keys (1.2 points).
  it('sticky: keys spread in proportion to the weights (80/20 within 3 sd over 10,000 keys)', () => {
    const counts = { v2: 0, v3: 0 };
    for (let i = 0; i < 10_000; i++)
      counts[stickyPick(shares('v2=80,v3=20'), `caller-${i}`) as 'v2' | 'v3']++;
    expect(Math.abs(counts.v3 - 2000)).to.be.below(120);
  });

  it('sticky: moving 10 points moves ~10% of keys, all to the version that gained', () => {
    let moved = 0;
    for (let i = 0; i < 10_000; i++) {
      const before = stickyPick(shares('v2=90,v3=10'), `caller-${i}`);
      const after = stickyPick(shares('v2=80,v3=20'), `caller-${i}`);
      if (before !== after) {
        moved++;
        expect([before, after]).to.deep.equal(['v2', 'v3']);
      }
    }
    // Expected 1,000 (10%); sd = sqrt(10000 * 0.1 * 0.9) = 30.
    expect(Math.abs(moved - 1000)).to.be.below(90);
  });

  it('sticky: a version leaving the split hands over only its own keys', () => {
    for (let i = 0; i < 2000; i++) {
      const before = stickyPick(shares('a=50,b=30,c=20'), `k${i}`);
      const after = stickyPick(shares('a=50,c=20'), `k${i}`);
      if (before !== 'b') expect(after).to.equal(before);
    }
  });

  // 50/30/20 without c is 62.5/37.5, shown as 63/37: picking by the rounded shares moved ~0.4% of a's and
  // b's keys between them (70 of 16,000) when c became unready.
  it('sticky: a version of the model becoming unready moves only its own keys (whole-percent rounding aside)', () => {
    const sticky = { traffic: shares('a=50,b=30,c=20'), trafficStickiness: { by: 'caller' as const } };
    const before = split(sticky, ['a'], ['b'], ['c']);
    const after = split(sticky, ['a'], ['b'], ['c', { ready: false }]);
    expect(effectiveTraffic(after)).to.deep.equal(shares('a=63,b=37'));
    for (let i = 0; i < 5000; i++) {
      const was = pickTrafficVersion(before, request(`caller-${i}`))?.version;
      if (was !== 'c') expect(pickTrafficVersion(after, request(`caller-${i}`))?.version).to.equal(was);
    }
  });

  it('keys: by caller, by the named header (lowercased), and none when the header is missing', () => {
    const byCaller = split({ traffic: shares('v2=100'), trafficStickiness: { by: 'caller' } }, ['v2']);
    const byHeader = split(
      { traffic: shares('v2=100'), trafficStickiness: { by: 'header', header: 'X-Session' } },
      ['v2'],
    );
    const random = split({ traffic: shares('v2=100') }, ['v2']);
    expect(stickyKey(byCaller, request('alice'))).to.equal('m\u0000caller:alice');
    expect(stickyKey(byHeader, request('alice', { 'x-session': 's1' }))).to.equal('m\u0000header:s1');
    expect(stickyKey(byHeader, request('alice'))).to.equal(undefined);
    expect(stickyKey(random, request('alice'))).to.equal(undefined);
  });

  it('without stickiness, 300 requests at 80/20 land within 3 sd (sd = 6.9 requests)', () => {
    const model = split({ traffic: shares('v2=80,v3=20') }, ['v2'], ['v3']);
    const random = seeded(13);
    let v3 = 0;
    for (let i = 0; i < 300; i++) {
      if (pickTrafficVersion(model, { ...request(), random })?.version === 'v3') v3++;
    }
    expect(Math.abs(v3 - 60)).to.be.below(21);
  });

  it('with stickiness by caller, one caller gets one version and many callers split by weight', () => {
    const model = split(
      { traffic: shares('v2=50,v3=50'), trafficStickiness: { by: 'caller' } },
      ['v2'],
      ['v3'],
    );
    const versions = new Set<string | undefined>();
    for (let i = 0; i < 50; i++) versions.add(pickTrafficVersion(model, request('alice'))?.version);
    expect(versions.size).to.equal(1);
    const seen = new Set<string | undefined>();
    for (let i = 0; i < 50; i++) seen.add(pickTrafficVersion(model, request(`caller-${i}`))?.version);
    expect([...seen].sort()).to.deep.equal(['v2', 'v3']);
  });
});

describe('api/routing: selectVersion and the chain with a split', () => {
  const model = split({ traffic: shares('v2=0,v3=100') }, ['v3'], ['v2'], ['v1']);
  const withDefault = catalogModel(
    'm',
    [catalogVersion('v3'), catalogVersion('v2', { default: true }), catalogVersion('v1')],
    { traffic: shares('v2=0,v3=100') },
  );

  it('a request naming a version is unaffected by the split', () => {
    const choice = selectVersion(withDefault, 'v2', request());
    expect(choice.kind === 'version' && choice.version.version).to.equal('v2');
  });

  it('a request naming none follows the split; without a traffic request, the default answers', () => {
    const picked = selectVersion(withDefault, undefined, request());
    expect(picked.kind === 'version' && picked.version.version).to.equal('v3');
    const plain = selectVersion(withDefault);
    expect(plain.kind === 'version' && plain.version.version).to.equal('v2');
  });

  it('nothing of the split ready: the default version answers, as without a split', () => {
    const down = catalogModel(
      'm',
      [catalogVersion('v3', { ready: false }), catalogVersion('v2', { default: true })],
      { traffic: shares('v3=100') },
    );
    const choice = selectVersion(down, undefined, request());
    expect(choice.kind === 'version' && choice.version.version).to.equal('v2');
  });

  it('the chain: the picked version first, then the other versions newest first, then fallback models', () => {
    const other = split({ traffic: shares('v1=100,v2=0') }, ['v2'], ['v1']);
    const fallbackModel = { ...other, name: 'f' };
    const first = { ...model, spec: { ...model.spec, fallbacks: ['f'] } };
    const chain = buildFallbackChain({
      model: first,
      accepts: () => true,
      need: 'text-generation',
      useFallbacks: true,
      lookup: lookupIn([first, fallbackModel]),
      traffic: request(),
    });
    expect(
      chain.steps.map((s) => `${s.target.model.name}:${s.target.version?.version}:${s.fallback}`),
    ).to.deep.equal(['m:v3:false', 'm:v2:true', 'm:v1:true', 'f:v1:true']);
  });
});
