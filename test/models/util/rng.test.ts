import { expect } from 'chai';
import { Rng } from '../../../models/src/util/rng.js';

describe('Rng', () => {
  it('given the same seed, returns the same sequence; given another seed, a different one', () => {
    const a = new Rng(42);
    const b = new Rng(42);
    const c = new Rng(43);
    const xs = Array.from({ length: 5 }, () => a.next());
    expect(xs).to.deep.equal(Array.from({ length: 5 }, () => b.next()));
    expect(xs).to.not.deep.equal(Array.from({ length: 5 }, () => c.next()));
  });

  it('draws uniforms in [0,1) and normals with mean 0 and variance 1', () => {
    const r = new Rng(1);
    const n = 20_000;
    let sum = 0;
    let sq = 0;
    let lo = 1;
    let hi = 0;
    for (let i = 0; i < n; i++) {
      const u = r.next();
      lo = Math.min(lo, u);
      hi = Math.max(hi, u);
      const z = r.normal();
      sum += z;
      sq += z * z;
    }
    expect(lo).to.be.at.least(0);
    expect(hi).to.be.below(1);
    expect(sum / n).to.be.closeTo(0, 0.03);
    expect(sq / n).to.be.closeTo(1, 0.05);
  });
});
