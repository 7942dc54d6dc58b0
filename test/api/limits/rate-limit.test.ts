import { expect } from 'chai';
import { ConfigError, loadConfig, loadRateLimits } from '../../../api/src/config.js';
import { limitFor, parseRateLimits, slidingWindow } from '../../../api/src/limits/rate-limit.js';

const W = 60_000;

describe('api/limits/rate-limit: per-caller limits on a sliding window', () => {
  it('parses caller=N entries and a * default; refuses bad or repeated entries naming them', () => {
    const limits = parseRateLimits('search-team=600, support-bot = 60 ,*=120', 'ROUTER_RATE_LIMITS');
    expect(limitFor(limits, 'search-team')).to.equal(600);
    expect(limitFor(limits, 'support-bot')).to.equal(60);
    expect(limitFor(limits, 'anyone-else')).to.equal(120);
    expect(limitFor(parseRateLimits('a=1', 'x'), 'b')).to.equal(undefined);
    const bad: [string, RegExp][] = [
      ['a=0', /entry 1 \(a=0\): expected caller=N/],
      ['a=ten', /entry 1/],
      ['Team A=5', /entry 1/],
      ['a=5,b=6,a=7', /entry 3: a is limited twice/],
      ['*=5,*=6', /entry 2: \* is limited twice/],
    ];
    for (const [text, message] of bad) expect(() => parseRateLimits(text, 'x'), text).to.throw(message);
  });

  it('loadRateLimits: none when unset; a bad or empty declaration stops start-up', () => {
    expect(loadRateLimits(loadConfig({}))).to.equal(undefined);
    expect(loadRateLimits(loadConfig({ ROUTER_RATE_LIMITS: 'a=5' }))?.byCaller.get('a')).to.equal(5);
    expect(() => loadRateLimits(loadConfig({ ROUTER_RATE_LIMITS: 'a=-1' }))).to.throw(ConfigError, /entry 1/);
    expect(() => loadRateLimits(loadConfig({ ROUTER_RATE_LIMITS: ' ' }))).to.throw(ConfigError, /no limit/);
  });

  // given [previous, current (this request included), elapsed in the window] and a limit of 10
  const table: [number, number, number, boolean, number?][] = [
    [0, 1, 0, true],
    [0, 10, 30_000, true],
    [0, 11, 30_000, false],
    [10, 5, 30_000, true], // 10 × 0.5 + 5 = 10
    [10, 6, 30_000, false], // 11: one more fits once 1.0 of the previous window has slid out (6 s later)
    [20, 1, 59_999, true], // the previous window has almost slid out
    [0, 11, 59_000, false],
  ];
  for (const [previous, current, elapsedMs, allowed] of table) {
    it(`given previous ${previous}, current ${current} at ${elapsedMs} ms, limit 10: ${allowed ? 'allows' : 'refuses'}`, () => {
      expect(slidingWindow({ previous, current, elapsedMs, windowMs: W }, 10).allowed).to.equal(allowed);
    });
  }

  it('says when one more request fits, assuming none arrive meanwhile', () => {
    const slide = slidingWindow({ previous: 10, current: 6, elapsedMs: 30_000, windowMs: W }, 10);
    expect(slide).to.deep.equal({ allowed: false, retryAfterMs: 6000 });
    // After the wait the estimate has room for exactly one: 10 × 0.4 + 6 = 10.
    expect(slidingWindow({ previous: 10, current: 6, elapsedMs: 36_000, windowMs: W }, 10).allowed).to.equal(
      true,
    );
    // The current window alone is full: its end, then enough of it sliding out.
    const full = slidingWindow({ previous: 0, current: 11, elapsedMs: 30_000, windowMs: W }, 10);
    expect(full.allowed).to.equal(false);
    const wait = (full as { retryAfterMs: number }).retryAfterMs;
    expect(wait).to.equal(30_000 + 6000);
    // 36 s later: a new window, the old one (10 kept) weighs 0.9 → 9 + 1 = 10.
    expect(slidingWindow({ previous: 10, current: 1, elapsedMs: 6000, windowMs: W }, 10).allowed).to.equal(
      true,
    );
    expect(slidingWindow({ previous: 10, current: 1, elapsedMs: 5000, windowMs: W }, 10).allowed).to.equal(
      false,
    );
  });

  it('reports what is left while allowed', () => {
    expect(slidingWindow({ previous: 4, current: 3, elapsedMs: 30_000, windowMs: W }, 10)).to.deep.equal({
      allowed: true,
      remaining: 5,
    });
  });
});
