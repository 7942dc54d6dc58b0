import { expect } from 'chai';
import { aiModel, apportion, effectiveSplit, formatSplit, type TrafficShare } from '../../crds/src/index.js';

const manifest = (spec: Record<string, unknown>) => ({
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'AIModel',
  metadata: { name: 'm' },
  spec: { provider: 'onnx', capabilities: ['chat'], ...spec },
});
const problems = (spec: Record<string, unknown>): string[] => {
  const r = aiModel.safeParse(manifest(spec));
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};
const split = (text: string): TrafficShare[] =>
  text.split(',').map((p) => {
    const [version, weight] = p.split('=');
    return { version: version as string, weight: Number(weight) };
  });

describe('crds: spec.traffic and spec.trafficStickiness (zod, as local mode checks them)', () => {
  const accepted: [string, Record<string, unknown>][] = [
    ['a 90/10 split', { traffic: split('v2=90,v3=10') }],
    ['one version at 100', { traffic: split('v2=100') }],
    ['a version at 0 (rolled back)', { traffic: split('v2=100,v3=0') }],
    ['stickiness by caller', { traffic: split('v2=50,v3=50'), trafficStickiness: { by: 'caller' } }],
    [
      'stickiness by a named header',
      { traffic: split('v2=50,v3=50'), trafficStickiness: { by: 'header', header: 'X-Session-Id' } },
    ],
  ];
  for (const [what, spec] of accepted) {
    it(`accepts ${what}`, () => expect(problems(spec)).to.deep.equal([]));
  }

  const refused: [string, Record<string, unknown>, string][] = [
    [
      'weights adding up to 110',
      { traffic: split('v2=90,v3=20') },
      'spec.traffic: spec.traffic weights must add up to 100',
    ],
    ['a version named twice', { traffic: split('v2=50,v2=50') }, 'names a version more than once'],
    [
      'a fractional weight',
      {
        traffic: [
          { version: 'v2', weight: 99.5 },
          { version: 'v3', weight: 0.5 },
        ],
      },
      'expected int',
    ],
    ['a weight over 100', { traffic: split('v2=101') }, 'spec.traffic.0.weight'],
    ['an empty split', { traffic: [] }, 'spec.traffic'],
    ['nine entries', { traffic: split('a=20,b=10,c=10,d=10,e=10,f=10,g=10,h=10,i=10') }, 'spec.traffic'],
    ['stickiness without a split', { trafficStickiness: { by: 'caller' } }, 'needs spec.traffic'],
    [
      'by: header without a header',
      { traffic: split('v2=100'), trafficStickiness: { by: 'header' } },
      'spec.trafficStickiness.header: spec.trafficStickiness.header is required with by: header',
    ],
    [
      'a header with by: caller',
      { traffic: split('v2=100'), trafficStickiness: { by: 'caller', header: 'x-user' } },
      'only allowed with it',
    ],
  ];
  for (const [what, spec, message] of refused) {
    it(`refuses ${what}`, () => expect(problems(spec).join('\n')).to.include(message));
  }

  it('defaults stickiness to by: caller', () => {
    const parsed = aiModel.parse(manifest({ traffic: split('v2=100'), trafficStickiness: {} }));
    expect(parsed.spec.trafficStickiness).to.deep.equal({ by: 'caller' });
  });
});

describe('crds: effectiveSplit', () => {
  const all = () => true;
  const only =
    (...ok: string[]) =>
    (v: string) =>
      ok.includes(v);
  const table: [string, string, (v: string) => boolean, string][] = [
    ['every version serving', 'v2=90,v3=10', all, 'v2=90,v3=10'],
    ['a version at 0 kept at 0', 'v2=100,v3=0', all, 'v2=100,v3=0'],
    ['the canary not ready: the stable takes all', 'v2=90,v3=10', only('v2'), 'v2=100'],
    ['the stable not ready: the canary takes all', 'v2=90,v3=10', only('v3'), 'v3=100'],
    ['one of three gone: its share split 2:1', 'a=60,b=30,c=10', only('a', 'c'), 'a=86,c=14'],
    ['thirds, rounded by largest remainder to 100', 'a=40,b=30,c=30', only('b', 'c'), 'b=50,c=50'],
    ['uneven thirds', 'a=34,b=33,c=33', all, 'a=34,b=33,c=33'],
    ['nothing serving', 'v2=90,v3=10', only(), ''],
    ['only a weight-0 version serving', 'v2=100,v3=0', only('v3'), ''],
  ];
  for (const [what, configured, canServe, expected] of table) {
    it(`given ${what} (${configured}), is "${expected}"`, () => {
      expect(formatSplit(effectiveSplit(split(configured), canServe))).to.equal(expected);
    });
  }

  const overrides: [string, string, (v: string) => boolean, TrafficShare, string][] = [
    ['a canary at 25 over 100% stable', 'v2=100', all, { version: 'v3', weight: 25 }, 'v2=75,v3=25'],
    ['a canary at 10 over a 60/40 split', 'a=60,b=40', all, { version: 'c', weight: 10 }, 'a=54,b=36,c=10'],
    ['a canary already in the split', 'v2=90,v3=10', all, { version: 'v3', weight: 50 }, 'v2=50,v3=50'],
    ['a canary at 0 (rolled back)', 'v2=100', all, { version: 'v3', weight: 0 }, 'v2=100,v3=0'],
    ['a canary that cannot serve', 'v2=100', only('v2'), { version: 'v3', weight: 50 }, 'v2=100'],
    ['a canary with no stable able to serve', 'v2=100', only('v3'), { version: 'v3', weight: 5 }, 'v3=100'],
  ];
  for (const [what, configured, canServe, override, expected] of overrides) {
    it(`given ${what}, is "${expected}"`, () => {
      expect(formatSplit(effectiveSplit(split(configured), canServe, override))).to.equal(expected);
    });
  }

  it('apportions whole percents that add up to the total', () => {
    for (const weights of [[1, 1, 1], [2, 1], [7, 13, 80], [0, 0], [5]]) {
      const parts = apportion(weights, 100);
      const sum = parts.reduce((a, b) => a + b, 0);
      expect(sum).to.equal(weights.some((w) => w > 0) ? 100 : 0);
      expect(parts.every(Number.isInteger)).to.equal(true);
    }
    expect(apportion([1, 1, 1], 100)).to.deep.equal([34, 33, 33]);
  });
});
