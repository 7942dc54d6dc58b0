/**
 * The latency histogram: which bucket a latency falls in, and quantiles estimated from the buckets the way
 * Prometheus' histogram_quantile() does, checked against a table and against promtool itself.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import {
  BUCKET_COUNT,
  bucketIndexOf,
  bucketName,
  bucketOf,
  LATENCY_BOUNDS_MS,
  quantileOf,
} from '../../../api/src/metering/latency-histogram.js';

/** Counts per bucket from `[upper bound (ms, or Infinity), observations]` pairs. */
function histogram(pairs: [number, number][]): number[] {
  const counts = new Array<number>(BUCKET_COUNT).fill(0);
  for (const [bound, n] of pairs) {
    const i =
      bound === Number.POSITIVE_INFINITY ? LATENCY_BOUNDS_MS.length : LATENCY_BOUNDS_MS.indexOf(bound);
    if (i === -1) throw new Error(`no bucket with bound ${bound}`);
    counts[i] = n;
  }
  return counts;
}

describe('api/metering/latency-histogram', () => {
  const buckets: [number, number][] = [
    [0, 0],
    [4.9, 0],
    [5, 0], // a bound belongs to its bucket (Prometheus' le)
    [5.01, 1],
    [100, 5],
    [100.5, 6],
    [799, 12],
    [800, 12],
    [60_000, 23],
    [60_001, 24],
    [1e9, 24],
  ];
  for (const [ms, bucket] of buckets)
    it(`${ms} ms falls in bucket ${bucket}`, () => expect(bucketOf(ms)).to.equal(bucket));

  it('names every bucket in a way that reads back, and nothing else', () => {
    for (let i = 0; i < BUCKET_COUNT; i++) expect(bucketIndexOf(bucketName(i))).to.equal(i);
    expect(bucketName(BUCKET_COUNT - 1)).to.equal('le:inf');
    for (const name of ['le:7', 'le:', 'requests', 'le:100x'])
      expect(bucketIndexOf(name)).to.equal(undefined);
  });

  const quantiles: [string, number, [number, number][], number | null][] = [
    ['no observations: null', 0.95, [], null],
    ['10 in (75, 100]: p50 interpolates to the middle', 0.5, [[100, 10]], 87.5],
    ['10 in (75, 100]: p95', 0.95, [[100, 10]], 98.75],
    ['the first bucket starts at 0', 0.5, [[5, 4]], 2.5],
    [
      '90 fast and 10 in (800, 1000]: p95 in the slow bucket',
      0.95,
      [
        [100, 90],
        [1000, 10],
      ],
      900,
    ],
    [
      '90 fast and 10 slow: p50 in the fast bucket',
      0.5,
      [
        [100, 90],
        [1000, 10],
      ],
      75 + 25 * (50 / 90),
    ],
    [
      'a rank on a bucket edge: the upper bound of the bucket that reaches it',
      0.5,
      [
        [50, 5],
        [100, 5],
      ],
      50,
    ],
    [
      'empty buckets between: interpolated inside the bucket the rank lands in',
      0.995,
      [
        [10, 99],
        [5000, 1],
      ],
      4000,
    ],
    [
      'a rank in the +Inf bucket: the highest finite bound',
      0.95,
      [
        [100, 1],
        [Infinity, 9],
      ],
      60_000,
    ],
  ];
  for (const [what, q, pairs, expected] of quantiles)
    it(what, () => {
      const got = quantileOf(q, histogram(pairs));
      if (expected === null) expect(got).to.equal(null);
      else expect(got).to.be.closeTo(expected, 1e-9);
    });

  it('agrees with histogram_quantile() in promtool, to the last bit', async function () {
    this.timeout(30_000);
    const cases = quantiles.filter(([, , pairs]) => pairs.length > 0);
    // One series set per case: cumulative counts per `le`, as a Prometheus histogram exposes them.
    const series = cases.flatMap(([, , pairs], c) => {
      const counts = histogram(pairs);
      let cumulative = 0;
      return counts.map((n, i) => {
        cumulative += n;
        const le = i < LATENCY_BOUNDS_MS.length ? String(LATENCY_BOUNDS_MS[i]) : '+Inf';
        return `      - series: 'latency_bucket{case="${c}",le="${le}"}'\n        values: '${cumulative}'`;
      });
    });
    const tests = cases.map(
      ([, q, pairs], c) => `      - expr: histogram_quantile(${q}, latency_bucket{case="${c}"})
        eval_time: 0m
        exp_samples:
          - labels: '{case="${c}"}'
            value: ${quantileOf(q, histogram(pairs))}`,
    );
    const dir = await mkdtemp(join(tmpdir(), 'quantile-'));
    try {
      const file = join(dir, 'test.yaml');
      await writeFile(
        file,
        `rule_files: []\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n${series.join('\n')}\n    promql_expr_test:\n${tests.join('\n')}\n`,
      );
      const run = promisify(execFile);
      const result = await run('promtool', ['test', 'rules', file]).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') throw new Error('promtool is not installed: run `make monitoring-tools`');
        return err as unknown as { stdout: string; stderr: string };
      });
      expect(`${result.stdout}${result.stderr}`).to.include('SUCCESS');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
