/**
 * The page's pure figures (api/src/dashboard/assets/series.js, a browser module without DOM use): live
 * rates from two polls of cumulative counts, and series that share one time axis.
 */
import { expect } from 'chai';

// A browser module with no type declarations: imported by a computed path so tsc types it as any.
const path = '../../api/src/dashboard/assets/series.js';
const { counts, intervalFigures, SeriesSet, percent } = await import(path);

const figures = (requests: number, error: number, cacheHit: number, avgMs: number, fallbackRate = 0) => ({
  requests_count: requests,
  outcomes: { success: requests - error - cacheHit, cache_hit: cacheHit, error },
  avg_response_time_ms: avgMs,
  fallback_rate: fallbackRate,
});

describe('dashboard/series: live figures from cumulative counts', () => {
  it('given two polls 2 s apart, returns the rate and the shares of the requests in between', () => {
    const before = counts(figures(10, 1, 2, 50, 0.1));
    const after = counts(figures(30, 3, 7, 40, 0.2));
    const f = intervalFigures(before, after, 2);
    expect(f).to.deep.include({
      requests: 20,
      rate: 10,
      errorRate: 0.1,
      cacheHitRate: 0.25,
      fallbackRate: 0.25,
    });
    // 30 * 40 - 10 * 50 = 700 ms over 20 requests.
    expect(f.meanLatencyMs).to.be.closeTo(35, 1e-9);
  });

  it('given no requests in between, returns rate 0 and no shares (not 0%)', () => {
    const same = counts(figures(10, 1, 2, 50));
    expect(intervalFigures(same, same, 5)).to.deep.equal({
      requests: 0,
      rate: 0,
      errorRate: null,
      cacheHitRate: null,
      fallbackRate: null,
      meanLatencyMs: null,
    });
  });

  it('given fewer requests than before (an hour left the window, a reset), returns undefined', () => {
    expect(intervalFigures(counts(figures(30, 0, 0, 10)), counts(figures(5, 0, 0, 10)), 2)).to.equal(
      undefined,
    );
  });

  it('given a latency sum that dips by rounding (fast cache hits), clamps it at 0 rather than dropping the point', () => {
    const f = intervalFigures({ ...counts(figures(100, 0, 0, 42.35)) }, counts(figures(101, 0, 1, 41.93)), 1);
    expect(f.requests).to.equal(1);
    expect(f.meanLatencyMs).to.equal(0);
  });

  it('given a first poll (nothing before), returns undefined', () => {
    expect(intervalFigures(undefined, counts(figures(1, 0, 0, 1)), 2)).to.equal(undefined);
  });

  it('keeps series on one time axis: a series first seen later starts with gaps; old points drop', () => {
    const set = new SeriesSet(3);
    set.push(1, { a: 1 });
    set.push(2, { a: 2, b: 5 });
    expect(set.data()).to.deep.equal([
      [1, 2],
      [1, 2],
      [null, 5],
    ]);
    set.push(3, { b: 6 });
    set.push(4, { a: 4 });
    expect(set.names()).to.deep.equal(['a', 'b']);
    expect(set.data()).to.deep.equal([
      [2, 3, 4],
      [2, null, 4],
      [5, 6, null],
    ]);
  });

  it('writes a ratio as a percentage, and no ratio as a dash', () => {
    expect(percent(0.1234)).to.equal('12.3%');
    expect(percent(null)).to.equal('–');
  });
});
