/** One contract for every rate limiter: counts per caller and window, takes back what it refuses. */
import { expect } from 'chai';
import type { RateLimiter } from '../../../api/src/limits/limiters.js';

export interface LimiterFixture {
  /** A limiter with a 1 s window on the given clock. */
  make(now: () => number): Promise<RateLimiter>;
}

export function rateLimiterContract(name: string, fixture: LimiterFixture): void {
  describe(`${name}: the rate limiter contract`, () => {
    let clock = 0;
    let limiter: RateLimiter;
    let n = 0;
    const caller = () => `caller-${process.pid}-${Date.now()}-${n++}`;

    beforeEach(async () => {
      // Start of a window (windows are 1 s): whole windows make the counts exact.
      clock = Math.ceil(Date.now() / 1000) * 1000 + 10_000;
      limiter = await fixture.make(() => clock);
    });
    afterEach(async () => {
      await limiter.close();
    });

    it('allows up to the limit in a window, then refuses with a wait; other callers are not affected', async () => {
      const a = caller();
      const b = caller();
      const decisions = [];
      for (let i = 0; i < 4; i++) decisions.push(await limiter.take(a, 3));
      expect(decisions.map((d) => d.allowed)).to.deep.equal([true, true, true, false]);
      expect((decisions[3] as { retryAfterMs: number }).retryAfterMs).to.be.greaterThan(0);
      expect((await limiter.take(b, 3)).allowed).to.equal(true);
    });

    it('does not count refused requests, and lets the previous window slide out', async () => {
      const a = caller();
      for (let i = 0; i < 3; i++) await limiter.take(a, 3);
      for (let i = 0; i < 5; i++) expect((await limiter.take(a, 3)).allowed).to.equal(false);
      // Next window, 10 % in: the previous 3 (not 8) weigh 2.7, so one more is over the limit of 3...
      clock += 1100;
      expect((await limiter.take(a, 3)).allowed).to.equal(false);
      // ...and 70 % in they weigh 0.9: one fits.
      clock += 600;
      expect((await limiter.take(a, 3)).allowed).to.equal(true);
      // Two windows later nothing is left.
      clock += 2000;
      for (let i = 0; i < 3; i++) expect((await limiter.take(a, 3)).allowed).to.equal(true);
    });
  });
}
