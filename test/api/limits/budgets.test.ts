import { expect } from 'chai';
import {
  openAIDuration,
  parseSpendLimits,
  parseTokenLimits,
  spendLimitsFor,
  spendPeriod,
  tokensRemaining,
  tokensResetMs,
  tokensWaitMs,
  tokenWindow,
} from '../../../api/src/limits/budgets.js';
import { RateLimitsError } from '../../../api/src/limits/rate-limit.js';

describe('api/limits/budgets', () => {
  describe('parseTokenLimits', () => {
    it('reads caller=N tokens and *=N', () => {
      const limits = parseTokenLimits('alice=1000, *=50000', 'ROUTER_TOKEN_LIMITS');
      expect(limits.byCaller.get('alice')).to.equal(1000);
      expect(limits.fallback).to.equal(50000);
    });
    for (const [text, expected] of [
      ['alice=lots', /ROUTER_TOKEN_LIMITS entry 1 \(alice=lots\).*whole number of tokens/],
      ['alice=10,alice=20', /entry 2: alice is limited twice/],
      [' , ', /declares no limit/],
    ] as const) {
      it(`refuses ${JSON.stringify(text)} naming the entry`, () => {
        expect(() => parseTokenLimits(text, 'ROUTER_TOKEN_LIMITS'))
          .to.throw(RateLimitsError)
          .with.property('message')
          .that.matches(expected);
      });
    }
  });

  describe('parseSpendLimits', () => {
    it('reads USD per day and per month, both for one caller, and * for the rest', () => {
      const limits = parseSpendLimits('alice=2.50/day, alice=$40/month, *=1/day', 'ROUTER_SPEND_LIMITS');
      expect(spendLimitsFor(limits, 'alice')).to.deep.equal([
        { amount: 2.5, period: 'day' },
        { amount: 40, period: 'month' },
      ]);
      // A named caller's limits replace the * ones; others get *.
      expect(spendLimitsFor(limits, 'bob')).to.deep.equal([{ amount: 1, period: 'day' }]);
      expect(spendLimitsFor(parseSpendLimits('alice=1/day', 'X'), 'bob')).to.deep.equal([]);
    });
    for (const [text, expected] of [
      ['alice=5', /entry 1 \(alice=5\): expected caller=AMOUNT\/day/],
      ['alice=5/week', /entry 1 \(alice=5\/week\)/],
      ['alice=0/day', /entry 1 \(alice=0\/day\)/],
      ['alice=1/day,alice=2/day', /entry 2: alice has two limits per day/],
      ['', /declares no limit/],
    ] as const) {
      it(`refuses ${JSON.stringify(text)} naming the entry`, () => {
        expect(() => parseSpendLimits(text, 'ROUTER_SPEND_LIMITS'))
          .to.throw(RateLimitsError)
          .with.property('message')
          .that.matches(expected);
      });
    }
  });

  it('spend periods are UTC days and months, ending at the next one', () => {
    const now = Date.UTC(2026, 11, 31, 23, 59, 30);
    expect(spendPeriod(now, 'day')).to.deep.equal({ id: '2026-12-31', endsAt: Date.UTC(2027, 0, 1) });
    expect(spendPeriod(now, 'month')).to.deep.equal({ id: '2026-12', endsAt: Date.UTC(2027, 0, 1) });
    expect(spendPeriod(Date.UTC(2026, 1, 3, 5), 'day').id).to.equal('2026-02-03');
  });

  it('token windows: index, time into it, and the weight of the previous one', () => {
    expect(tokenWindow(125_000, 60_000)).to.deep.equal({ index: 2, elapsedMs: 5_000, weight: 55 / 60 });
  });

  describe('token waits (limit 100, 1 s windows)', () => {
    const at = (current: number, previous: number, elapsedMs: number) => ({
      current,
      previous,
      elapsedMs,
      windowMs: 1000,
    });
    const table: [string, ReturnType<typeof at>, number, number | undefined][] = [
      ['fits now', at(10, 50, 500), 30, 0],
      ['never: larger than the limit', at(0, 0, 0), 101, undefined],
      // 60 + 80·w + 30 ≤ 100 once w ≤ 1/8: at 875 ms, 375 ms from now.
      ['the previous window slides out', at(60, 80, 500), 30, 375],
      // The current 90 becomes the previous one: 90·w + 30 ≤ 100 once w ≤ 7/9, 2/9 of the next window.
      ['the current window must end and slide', at(90, 0, 500), 30, 500 + Math.ceil(1000 * (2 / 9))],
    ];
    for (const [what, state, amount, expected] of table) {
      it(`${what}: ${expected}`, () => {
        expect(tokensWaitMs(state, amount, 100)).to.equal(expected);
      });
    }
    it('remaining and reset', () => {
      expect(tokensRemaining(at(60, 80, 500), 100)).to.equal(0);
      expect(tokensRemaining(at(10, 50, 500), 100)).to.equal(65);
      expect(tokensResetMs(at(10, 50, 500))).to.equal(1500);
      expect(tokensResetMs(at(0, 50, 250))).to.equal(750);
      expect(tokensResetMs(at(0, 0, 250))).to.equal(0);
    });
  });

  it('durations in the format of OpenAI x-ratelimit-reset-*', () => {
    expect([0, 17, 999, 1000, 1500, 59_999.5, 360_000, 3_723_000].map(openAIDuration)).to.deep.equal([
      '0ms',
      '17ms',
      '999ms',
      '1s',
      '1.5s',
      '1m0s',
      '6m0s',
      '1h2m3s',
    ]);
  });
});
