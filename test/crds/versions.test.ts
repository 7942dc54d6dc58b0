import { expect } from 'chai';
import { compareVersions, resolveDefaultVersion } from '../../crds/src/versions.js';

const v = (version: string, flags: { default?: boolean; deprecated?: boolean } = {}) => ({
  spec: { version, default: flags.default ?? false, deprecated: flags.deprecated ?? false },
});

describe('crds: versions', () => {
  const ordered: [string, string][] = [
    ['v1', 'v2'],
    ['v2', 'v10'],
    ['1.2.0', '1.10.0'],
    ['1.0', '1.0.1'],
    ['v1-alpha', 'v1-beta'],
  ];
  for (const [a, b] of ordered) {
    it(`given ${a} and ${b}, orders ${a} first`, () => {
      expect(compareVersions(a, b)).to.be.lessThan(0);
      expect(compareVersions(b, a)).to.be.greaterThan(0);
    });
  }

  it('given one version marked default, returns it', () => {
    expect(resolveDefaultVersion([v('v1', { default: true }), v('v2')]).version?.spec.version).to.equal('v1');
  });

  it('given no version marked default, returns the newest non-deprecated one', () => {
    expect(
      resolveDefaultVersion([v('v1'), v('v3', { deprecated: true }), v('v2')]).version?.spec.version,
    ).to.equal('v2');
  });

  it('given several marked default, returns the newest and reports MultipleDefaults', () => {
    const r = resolveDefaultVersion([v('v1', { default: true }), v('v2', { default: true })]);
    expect(r.version?.spec.version).to.equal('v2');
    expect(r.problem).to.equal('MultipleDefaults');
  });

  it('given only deprecated versions, returns none and reports NoDefaultVersion', () => {
    expect(resolveDefaultVersion([v('v1', { deprecated: true })])).to.deep.equal({
      problem: 'NoDefaultVersion',
    });
  });
});
