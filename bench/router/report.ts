/**
 * Tables and target verdicts of the router bench, as plain text for the terminal and for
 * docs/benchmarks.md (the same rows, so a run can be pasted as it printed).
 * @module
 */
import type { ClosedResult, PacedResult } from './load.js';

export interface Run extends ClosedResult {
  readonly target: string;
  /** Percent of one core used during the run, by party (loadgen, each server, other = outside the bench). */
  readonly cpu: Record<string, number>;
}

export interface CacheRun extends ClosedResult {
  readonly cpu: Record<string, number>;
}

export interface Paced extends PacedResult {
  readonly cpu: Record<string, number>;
  /** The mock alone at the same rate: what the client would see with no router at all. */
  readonly direct: PacedResult;
  /** From the router's /metrics, router_overhead_seconds over the paced run (all operations). */
  readonly histogram?: { readonly count: number; readonly meanMs: number };
}

export interface Verdict {
  readonly target: string;
  readonly value: string;
  readonly pass: boolean | undefined;
}

export const ms = (v: number): string => (Number.isNaN(v) ? '-' : v < 10 ? v.toFixed(2) : v.toFixed(1));

export function table(head: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/** The server a run loads; `upstream` is loaded by every run and shown in its own column. */
export const cpuOf = (run: { cpu: Record<string, number> }, name: string): string =>
  run.cpu[name] === undefined ? '-' : `${run.cpu[name]}%`;

/**
 * CPU microseconds per request of one server: on a shared machine throughput moves with what the
 * neighbours do, CPU per request much less, so this is the column to compare across runs.
 */
export const cpuPerRequest = (run: { cpu: Record<string, number>; rps: number }, name: string): number =>
  run.rps > 0 && run.cpu[name] !== undefined
    ? Math.round(((run.cpu[name] / 100) * 1e6) / run.rps)
    : Number.NaN;
export const us = (v: number): string => (Number.isNaN(v) ? '-' : String(v));

export function runsTable(runs: readonly Run[]): string {
  return table(
    [
      'target',
      'conc',
      'req/s',
      'p50 ms',
      'p99 ms',
      'max ms',
      'non-2xx',
      'errors',
      'cpu: loadgen',
      'target',
      'upstream',
      'other',
      'target µs cpu/req',
    ],
    runs.map((r) => [
      r.target,
      String(r.connections),
      String(r.rps),
      ms(r.latencyMs.p50),
      ms(r.latencyMs.p99),
      ms(r.latencyMs.max),
      String(r.non2xx),
      String(r.errors + r.timeouts),
      cpuOf(r, 'loadgen'),
      r.target === 'direct' ? '-' : cpuOf(r, r.target),
      cpuOf(r, 'upstream'),
      cpuOf(r, 'other'),
      us(cpuPerRequest(r, r.target === 'direct' ? 'upstream' : r.target)),
    ]),
  );
}

export function cacheTable(runs: readonly CacheRun[]): string {
  return table(
    [
      'router cache path',
      'conc',
      'req/s',
      'p50 ms',
      'p99 ms',
      'x-cache seen',
      'cpu: loadgen',
      'router',
      'upstream',
      'other',
      'router µs cpu/req',
    ],
    runs.map((r) => [
      'identical, temperature 0',
      String(r.connections),
      String(r.rps),
      ms(r.latencyMs.p50),
      ms(r.latencyMs.p99),
      Object.entries(r.cache ?? {})
        .map(([k, v]) => `${k}: ${v}`)
        .join(', '),
      cpuOf(r, 'loadgen'),
      cpuOf(r, 'router'),
      cpuOf(r, 'upstream'),
      cpuOf(r, 'other'),
      us(cpuPerRequest(r, 'router')),
    ]),
  );
}

export function pacedTable(p: Paced): string {
  const row = (label: string, r: PacedResult): string[] => [
    label,
    String(r.sent),
    String(r.ok),
    String(r.achievedRps),
    String(r.maxInFlight),
    ...[r.latencyMs.p50, r.latencyMs.p90, r.latencyMs.p99, r.latencyMs.max].map(ms),
  ];
  const o = p.overheadMs;
  const added = (k: 'p50' | 'p90' | 'p99' | 'max') => ms(p.latencyMs[k] - p.direct.latencyMs[k]);
  return table(
    ['paced, open loop', 'sent', 'ok', 'req/s done', 'max in flight', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms'],
    [
      row(`direct latency at ${p.rate} req/s`, p.direct),
      row(`router latency at ${p.rate} req/s`, p),
      [
        'router minus direct (client-seen added latency)',
        '',
        '',
        '',
        '',
        added('p50'),
        added('p90'),
        added('p99'),
        added('max'),
      ],
      [
        `router x-router-overhead-ms (n=${o.count})`,
        '',
        '',
        '',
        '',
        ms(o.p50),
        ms(o.p90),
        ms(o.p99),
        ms(o.max),
      ],
    ],
  );
}

export function verdictTable(verdicts: readonly Verdict[]): string {
  const mark = (v: Verdict) =>
    v.pass === undefined ? (v.target.startsWith('[info]') ? '-' : 'NO DATA') : v.pass ? 'PASS' : 'MISS';
  return table(
    ['target', 'measured', 'verdict'],
    verdicts.map((v) => [v.target, v.value, mark(v)]),
  );
}

function pacedVerdicts(p: Paced, target: boolean): Verdict[] {
  const o = p.overheadMs;
  // "At 1,000 req/s" holds only if the router kept up; a router that fell behind queues the excess
  // outside the span the header measures, so a small header value would not mean a small overhead.
  const keptUp = p.achievedRps >= 0.95 * p.rate;
  const note = keptUp ? '' : `, but the router completed only ${p.achievedRps} req/s`;
  const judge = (ok: boolean) => (!target ? undefined : o.count > 0 && keptUp && ok);
  const tag = target ? '' : '[info] ';
  const added = (k: 'p50' | 'p99') => ms(p.latencyMs[k] - p.direct.latencyMs[k]);
  return [
    {
      target: `${tag}overhead p50 < 0.3 ms at ${p.rate} req/s`,
      value: `${ms(o.p50)} ms${note}`,
      pass: judge(o.p50 < 0.3),
    },
    {
      target: `${tag}overhead p99 <= 0.5 ms at ${p.rate} req/s`,
      value: `${ms(o.p99)} ms${note}`,
      pass: judge(o.p99 <= 0.5),
    },
    {
      target: `[info] client-seen added latency p50 / p99 at ${p.rate} req/s`,
      value: `${added('p50')} / ${added('p99')} ms`,
      pass: undefined,
    },
  ];
}

/**
 * The targets, judged at every concurrency measured (a ratio can pass at one and miss at
 * another). The cache target is judged at c1: at c16 a closed loop's latency is the router's throughput
 * (Little's law), not the cache path's.
 */
export function verdicts(
  runs: readonly Run[],
  cache: readonly CacheRun[],
  paced: readonly Paced[],
): Verdict[] {
  const out: Verdict[] = [];
  const rps = (target: string, c: number) =>
    runs.find((r) => r.target === target && r.connections === c)?.rps;
  const concurrencies = [...new Set(runs.map((r) => r.connections))];
  const ratio = (other: string, min: number, label: string, info: boolean) => {
    for (const c of concurrencies) {
      const a = rps('router', c);
      const b = rps(other, c);
      if (a === undefined || b === undefined) continue;
      const r = b > 0 ? a / b : Number.NaN;
      const value = `${a} / ${b} = ${r.toFixed(2)}x`;
      out.push({
        target: `${info ? '[info] ' : ''}${label} (c${c})`,
        value,
        pass: info ? undefined : r >= min,
      });
    }
  };
  ratio('portkey', 5, 'router >= 5x Portkey throughput', false);
  ratio('proxy', 0.4, 'router >= 0.4x minimal proxy (node:http) throughput', false);
  ratio('proxy-fetch', 0.6, 'router / minimal proxy (fetch) throughput', true);
  for (const other of ['portkey', 'proxy']) {
    const cost = (t: string) => runs.filter((r) => r.target === t).map((r) => cpuPerRequest(r, t));
    const [a, b] = [cost('router'), cost(other)];
    if (a.length === 0 || b.length === 0) continue;
    out.push({
      target: `[info] CPU µs per request, router vs ${other} (c${concurrencies.join('/c')})`,
      value: `${a.join('/')} vs ${b.join('/')}`,
      pass: undefined,
    });
  }
  for (const p of paced) out.push(...pacedVerdicts(p, p.rate === 1000));
  for (const c of cache) {
    const hits = c.cache?.HIT ?? 0;
    const hitShare = c.ok > 0 ? hits / c.ok : 0;
    const info = c.connections !== 1;
    out.push({
      target: `${info ? '[info] ' : ''}cache hit p50 < 1 ms (c${c.connections})`,
      value: `${ms(c.latencyMs.p50)} ms, ${Math.round(hitShare * 100)}% HIT`,
      // Unless nearly every response says x-cache: HIT, the latency is not the cache path's.
      pass: info ? undefined : hitShare < 0.99 ? false : c.latencyMs.p50 < 1,
    });
  }
  return out;
}
