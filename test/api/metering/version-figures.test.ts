/**
 * Per-version minute figures, pure: what one usage event adds to its version's minute, which minutes a
 * window reads, how the minutes add up to a version's figures, which failures count against an SLO, and
 * the `window` durations of the metrics route.
 */
import { expect } from 'chai';
import {
  BudgetExceededError,
  GuardrailBlockedError,
  GuardrailUnavailableError,
  InternalError,
  ModelUnavailableError,
  RateLimitedError,
  RequestCancelledError,
  UpstreamError,
  UpstreamRejectedError,
  UpstreamTimeoutError,
  ValidationError,
  VersionNotFoundError,
} from '../../../api/src/errors.js';
import { bucketOf } from '../../../api/src/metering/latency-histogram.js';
import { failureClass } from '../../../api/src/metering/slo-failure.js';
import type { UsageEvent } from '../../../api/src/metering/usage.js';
import {
  emptyCounts,
  type MinuteRecord,
  minuteIncrementOf,
  minutesOf,
  versionFiguresOf,
} from '../../../api/src/metering/version-figures.js';
import { windowMinutes, windowSpan } from '../../../api/src/metering/window.js';

const at = (hms: string) => new Date(`2026-11-26T${hms}Z`);
const event = (e: Partial<UsageEvent>): UsageEvent => ({
  at: at('10:15:30'),
  caller: 'team-a',
  requestedModel: 'a',
  routedVersion: 'v2',
  servedModel: 'a',
  servedVersion: 'v2',
  ok: true,
  fallback: false,
  latencyMs: 120,
  inputTokens: 1,
  outputTokens: 1,
  ...e,
});
const failed: Partial<UsageEvent> = { ok: false, servedModel: undefined, servedVersion: undefined };

/** The counters of one increment as a compact row: requests, errors, fallbacks, cacheHits, latency bucket. */
function row(e: UsageEvent) {
  const inc = minuteIncrementOf(e);
  if (!inc) return undefined;
  const c = inc.counts;
  return {
    at: new Date(inc.start).toISOString().slice(11, 19),
    version: inc.version,
    counts: [c.requests, c.errors, c.fallbacks, c.cacheHits],
    latencyMsSum: c.latencyMsSum,
    bucket: c.latency.findIndex((n) => n > 0),
  };
}

describe('api/metering/version-figures', () => {
  describe('what one event adds to its minute', () => {
    const cases: [string, Partial<UsageEvent>, ReturnType<typeof row>][] = [
      [
        'a served request: a request of the routed version, in the minute it ended in',
        {},
        { at: '10:15:00', version: 'v2', counts: [1, 0, 0, 0], latencyMsSum: 120, bucket: bucketOf(120) },
      ],
      [
        'served by a fallback version: a request and a fallback of the routed version, not of the one that served',
        { servedVersion: 'v1', fallback: true },
        { at: '10:15:00', version: 'v2', counts: [1, 0, 1, 0], latencyMsSum: 120, bucket: bucketOf(120) },
      ],
      [
        'served by a fallback model: the same',
        { servedModel: 'b', servedVersion: 'v9', fallback: true },
        { at: '10:15:00', version: 'v2', counts: [1, 0, 1, 0], latencyMsSum: 120, bucket: bucketOf(120) },
      ],
      [
        'a cache hit: counted apart, no request, no latency',
        { cacheHit: true, servedModel: undefined, latencyMs: 2 },
        { at: '10:15:00', version: 'v2', counts: [0, 0, 0, 1], latencyMsSum: 0, bucket: -1 },
      ],
      [
        'an upstream failure: a request and an error, with its latency',
        { ...failed, failure: 'upstream', latencyMs: 900 },
        { at: '10:15:00', version: 'v2', counts: [1, 1, 0, 0], latencyMsSum: 900, bucket: bucketOf(900) },
      ],
      [
        'a failure of no stated class reads as upstream',
        { ...failed, latencyMs: 3 },
        { at: '10:15:00', version: 'v2', counts: [1, 1, 0, 0], latencyMsSum: 3, bucket: 0 },
      ],
      [
        'rejected by the version (a 4xx of its own): a request, not an error',
        { ...failed, failure: 'rejected', latencyMs: 40 },
        { at: '10:15:00', version: 'v2', counts: [1, 0, 0, 0], latencyMsSum: 40, bucket: bucketOf(40) },
      ],
      [
        'refused by the router (limits, guardrails, cancelled): not counted',
        { ...failed, failure: 'refused' },
        undefined,
      ],
      ['no routed version (an external endpoint): not counted', { routedVersion: undefined }, undefined],
      [
        'the last millisecond of a minute stays in it',
        { at: at('10:15:59.999') },
        { at: '10:15:00', version: 'v2', counts: [1, 0, 0, 0], latencyMsSum: 120, bucket: bucketOf(120) },
      ],
      [
        'the next minute starts on the minute',
        { at: at('10:16:00') },
        { at: '10:16:00', version: 'v2', counts: [1, 0, 0, 0], latencyMsSum: 120, bucket: bucketOf(120) },
      ],
    ];
    for (const [what, e, expected] of cases) it(what, () => expect(row(event(e))).to.deep.equal(expected));

    it('counts for the model asked for, whichever model served', () => {
      expect(minuteIncrementOf(event({ servedModel: 'b', fallback: true }))?.model).to.equal('a');
    });
  });

  describe('the minutes a window reads: every minute that overlaps [from, to), within the retention', () => {
    const HOUR = 3_600_000;
    const names = (from: string, to: string, retentionMs = 24 * HOUR) =>
      minutesOf({ from: at(from), to: at(to) }, retentionMs).map((m) =>
        new Date(m).toISOString().slice(11, 16),
      );
    const cases: [string, string, string, string[], number?][] = [
      ['whole minutes', '10:00:00', '10:03:00', ['10:00', '10:01', '10:02']],
      ['a from inside a minute takes that minute', '10:00:30', '10:02:00', ['10:00', '10:01']],
      ['a to inside a minute takes that minute', '10:00:00', '10:01:00.001', ['10:00', '10:01']],
      ['an empty window reads nothing', '10:00:00', '10:00:00', []],
      [
        'not a minute older than the retention',
        '08:00:00',
        '10:00:30',
        ['09:58', '09:59', '10:00'],
        2 * 60_000,
      ],
    ];
    for (const [what, from, to, expected, retention] of cases)
      it(what, () => expect(names(from, to, retention)).to.deep.equal(expected));
  });

  describe('a window of minutes adds up to figures per version', () => {
    const record = (
      version: string,
      start: string,
      c: Partial<ReturnType<typeof emptyCounts>>,
      buckets: [number, number][] = [],
    ): MinuteRecord => {
      const counts = { ...emptyCounts(), ...c };
      for (const [i, n] of buckets) counts.latency[i] = n;
      return { start: at(start).getTime(), model: 'a', version, counts };
    };
    const fast = bucketOf(90); // (75, 100]
    const slow = bucketOf(900); // (800, 1000]

    it('sums requests, errors, fallbacks and buckets over minutes, with rates and quantiles of the sums', () => {
      const figures = versionFiguresOf([
        record('v2', '10:00:00', { requests: 50, errors: 1, fallbacks: 2, latencyMsSum: 4500 }, [[fast, 50]]),
        record(
          'v2',
          '10:01:00',
          { requests: 50, errors: 4, fallbacks: 3, latencyMsSum: 12_600, cacheHits: 7 },
          [
            [fast, 40],
            [slow, 10],
          ],
        ),
        record('v3', '10:01:00', { requests: 10, latencyMsSum: 9000 }, [[slow, 10]]),
      ]);
      expect(Object.keys(figures)).to.deep.equal(['v2', 'v3']);
      expect(figures.v2).to.deep.include({
        requests: 100,
        errors: 5,
        errorRate: 0.05,
        fallbacks: 5,
        fallbackRate: 0.05,
        cacheHits: 7,
        avgLatencyMs: 171,
      });
      // 90 fast and 10 slow over both minutes: p50 at rank 50 is fast, p95 at rank 95 is half-way into slow.
      expect(figures.v2?.p50LatencyMs).to.be.closeTo(75 + 25 * (50 / 90), 1e-9);
      expect(figures.v2?.p95LatencyMs).to.be.closeTo(900, 1e-9);
      expect(figures.v2?.p99LatencyMs).to.be.closeTo(980, 1e-9);
      expect(figures.v3).to.deep.include({ requests: 10, errors: 0, errorRate: 0, avgLatencyMs: 900 });
      expect(figures.v3?.p95LatencyMs).to.be.closeTo(990, 1e-9);
    });

    it('a version with cache hits only: zero rates and no latency', () => {
      expect(versionFiguresOf([record('v1', '10:00:00', { cacheHits: 3 })]).v1).to.deep.equal({
        requests: 0,
        errors: 0,
        errorRate: 0,
        fallbacks: 0,
        fallbackRate: 0,
        cacheHits: 3,
        avgLatencyMs: null,
        p50LatencyMs: null,
        p95LatencyMs: null,
        p99LatencyMs: null,
      });
    });

    it('nothing recorded: no versions', () => expect(versionFiguresOf([])).to.deep.equal({}));
  });

  describe('which failures count against a version', () => {
    const cases: [string, unknown, string][] = [
      ['upstream 5xx', new UpstreamError('x'), 'upstream'],
      ['upstream timeout', new UpstreamTimeoutError('x'), 'upstream'],
      ['no target could serve', new ModelUnavailableError('x'), 'upstream'],
      ['a router failure', new InternalError('x'), 'upstream'],
      ['anything unexpected thrown', new Error('boom'), 'upstream'],
      ['the model rejected the request (its own 4xx)', new UpstreamRejectedError('x'), 'rejected'],
      ['rate limited', new RateLimitedError('x', 1), 'refused'],
      ['over budget', new BudgetExceededError('tokens', 'x', {}), 'refused'],
      [
        'blocked by an input guardrail',
        new GuardrailBlockedError('x', { direction: 'input', rule: 'r', model: 'a' }),
        'refused',
      ],
      ['the guardrail service is down (503, not the version)', new GuardrailUnavailableError('x'), 'refused'],
      ['invalid request', new ValidationError('x'), 'refused'],
      ['unknown version', new VersionNotFoundError('x'), 'refused'],
      ['the client hung up', new RequestCancelledError('x'), 'refused'],
    ];
    for (const [what, err, expected] of cases)
      it(`${what}: ${expected}`, () => expect(failureClass(err)).to.equal(expected));
  });

  describe('window durations: whole minutes, hours and minutes only', () => {
    const cases: [string, number | undefined][] = [
      ['1m', 1],
      ['5m', 5],
      ['90m', 90],
      ['1h', 60],
      ['1h30m', 90],
      ['24h', 1440],
      ['0m', undefined],
      ['0h', undefined],
      ['', undefined],
      ['30s', undefined],
      ['5', undefined],
      ['1h30m10s', undefined],
      ['1.5h', undefined],
      ['-5m', undefined],
      ['5M', undefined],
      [' 5m', undefined],
      ['30m1h', undefined],
    ];
    for (const [text, minutes] of cases)
      it(`"${text}": ${minutes}`, () => expect(windowMinutes(text)).to.equal(minutes));

    it('a window of N minutes starts at the start of the minute N minutes ago and ends now', () => {
      expect(windowSpan(5, at('10:15:30'))).to.deep.equal({ from: at('10:10:00'), to: at('10:15:30') });
      expect(windowSpan(1, at('10:15:00'))).to.deep.equal({ from: at('10:14:00'), to: at('10:15:00') });
    });
  });
});
