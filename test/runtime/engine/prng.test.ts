import { expect } from 'chai';
import { createRandom, randomSeed, rowSeed } from '../../../runtime/src/engine/prng.js';

const draw = (seed: bigint, n: number) => {
  const random = createRandom(seed);
  return Array.from({ length: n }, random);
};

describe('seeded PRNG', () => {
  it('given the same seed, yields the same sequence', () => {
    expect(draw(42n, 20)).to.deep.equal(draw(42n, 20));
  });

  it('given neighbouring seeds, yields unrelated sequences', () => {
    const [a, b] = [draw(1n, 5), draw(2n, 5)];
    expect(a.some((x, i) => x === b[i])).to.equal(false);
  });

  it('given seeds equal modulo 2^64 (e.g. -1 and 2^64-1), yields the same sequence', () => {
    expect(draw(-1n, 5)).to.deep.equal(draw(2n ** 64n - 1n, 5));
  });

  it('yields doubles in [0, 1) with a mean near 1/2', () => {
    const values = draw(7n, 20_000);
    expect(values.every((x) => x >= 0 && x < 1)).to.equal(true);
    const mean = values.reduce((s, x) => s + x, 0) / values.length;
    expect(mean).to.be.closeTo(0.5, 0.01);
  });

  it('keeps row 0 on the request seed and moves later rows', () => {
    expect(rowSeed(10n, 0)).to.equal(10n);
    expect(rowSeed(10n, 2)).to.equal(12n);
    expect(rowSeed(2n ** 64n - 1n, 1)).to.equal(0n);
  });

  it('draws fresh 64-bit seeds', () => {
    const seed = randomSeed();
    expect(seed >= 0n && seed < 2n ** 64n).to.equal(true);
    expect(randomSeed()).to.not.equal(seed);
  });
});
