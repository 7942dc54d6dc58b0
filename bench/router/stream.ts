/**
 * The streaming scenario: every target answers a streamed chat completion (the mock's STREAM_CHUNKS
 * content chunks, the usage chunk, [DONE]) in a closed loop that reads each stream to its end, timing the
 * first body byte and the end. Added time to first byte is the target's TTFB p50 minus the mock's own
 * (direct) at the same concurrency.
 * @module
 */
import type { Target } from './load.js';
import { cpuOf, cpuPerRequest, ms, table, us, type Verdict } from './report.js';
import { type TimedResult, timedLoop } from './timed-loop.js';

export interface StreamRun extends TimedResult {
  readonly target: string;
  readonly cpu: Record<string, number>;
}

export interface StreamPlan {
  readonly targets: readonly string[];
  readonly target: (name: string) => Target;
  readonly concurrencies: readonly number[];
  readonly seconds: number;
  readonly warmup: number;
  readonly measured: <T>(fn: () => Promise<T>) => Promise<T & { cpu: Record<string, number> }>;
  readonly log: (line: string) => void;
}

const DONE = 'data: [DONE]\n\n';

/** Concurrency-major, as the throughput runs: a burst from outside the bench spreads over every target. */
export async function streamRuns(plan: StreamPlan): Promise<StreamRun[]> {
  const runs: StreamRun[] = [];
  for (const c of plan.concurrencies) {
    for (const name of plan.targets) {
      const target = plan.target(name);
      if (plan.warmup > 0) await timedLoop(target, c, plan.warmup, DONE);
      const result = await plan.measured(() => timedLoop(target, c, plan.seconds, DONE));
      const run: StreamRun = { target: name, ...result };
      runs.push(run);
      plan.log(
        `${name} stream c${c}: ${run.rps} streams/s, ttfb p50 ${run.ttfbMs.p50} ms, end p50 ${run.totalMs.p50} ms, ${run.complete}/${run.ok} complete, ${run.failed} failed`,
      );
    }
  }
  return runs;
}

const directOf = (runs: readonly StreamRun[], c: number) =>
  runs.find((r) => r.target === 'direct' && r.connections === c);

/** TTFB p50 through a target minus the mock's own at the same concurrency; NaN without a direct run. */
export const addedTtfb = (runs: readonly StreamRun[], run: StreamRun): number =>
  run.ttfbMs.p50 - (directOf(runs, run.connections)?.ttfbMs.p50 ?? Number.NaN);

export function streamTable(runs: readonly StreamRun[]): string {
  return table(
    [
      'streamed',
      'conc',
      'streams/s',
      'ttfb p50 ms',
      'ttfb p99 ms',
      'added ttfb p50 ms',
      'end p50 ms',
      'end p99 ms',
      'complete',
      'failed',
      'bytes/stream',
      'cpu: loadgen',
      'target',
      'upstream',
      'other',
      'target µs cpu/stream',
    ],
    runs.map((r) => [
      r.target,
      String(r.connections),
      String(r.rps),
      ms(r.ttfbMs.p50),
      ms(r.ttfbMs.p99),
      r.target === 'direct' ? '-' : ms(addedTtfb(runs, r)),
      ms(r.totalMs.p50),
      ms(r.totalMs.p99),
      `${r.complete}/${r.ok}`,
      String(r.failed),
      r.bytes.min === r.bytes.max ? String(r.bytes.max) : `${r.bytes.min}-${r.bytes.max}`,
      cpuOf(r, 'loadgen'),
      r.target === 'direct' ? '-' : cpuOf(r, r.target),
      cpuOf(r, 'upstream'),
      cpuOf(r, 'other'),
      us(cpuPerRequest(r, r.target === 'direct' ? 'upstream' : r.target)),
    ]),
  );
}

/**
 * Added TTFB is judged at the lowest concurrency measured (c1 by default): in a closed loop at c16 the
 * time to first byte includes the wait behind the other 15 streams, which is the target's throughput
 * (Little's law), not what it adds to one stream. Throughput is judged at the highest (c16 by default).
 * A run where a stream came through incomplete or failed is judged a miss whatever its figures.
 */
export function streamVerdicts(runs: readonly StreamRun[]): Verdict[] {
  const out: Verdict[] = [];
  const concurrencies = [...new Set(runs.map((r) => r.connections))];
  const low = Math.min(...concurrencies);
  const high = Math.max(...concurrencies);
  const find = (target: string, c: number) => runs.find((r) => r.target === target && r.connections === c);
  const whole = (r: StreamRun) => r.ok > 0 && r.failed === 0 && r.complete === r.ok;
  for (const c of concurrencies) {
    const router = find('router', c);
    const direct = find('direct', c);
    if (!router || !direct) continue;
    const judged = c === low;
    const added = addedTtfb(runs, router);
    out.push({
      target: `${judged ? '' : '[info] '}router added TTFB p50 <= 1 ms, streamed (c${c})`,
      value: `${ms(router.ttfbMs.p50)} - ${ms(direct.ttfbMs.p50)} = ${ms(added)} ms`,
      pass: judged ? whole(router) && whole(direct) && added <= 1 : undefined,
    });
  }
  const ratio = (other: string, min: number, label: string, info: boolean) => {
    for (const c of concurrencies) {
      const [a, b] = [find('router', c), find(other, c)];
      if (!a || !b) continue;
      const r = b.rps > 0 ? a.rps / b.rps : Number.NaN;
      const judged = !info && c === high;
      out.push({
        target: `${judged ? '' : '[info] '}${label} (c${c})`,
        value: `${a.rps} / ${b.rps} = ${r.toFixed(2)}x`,
        pass: judged ? whole(a) && whole(b) && r >= min : undefined,
      });
    }
  };
  ratio('proxy', 0.8, 'router streamed throughput >= 0.8x minimal proxy (node:http)', false);
  ratio('proxy-fetch', 0.8, 'router / minimal proxy (fetch) streamed throughput', true);
  ratio('portkey', 0, 'router / Portkey streamed throughput', true);
  const router = runs.filter((r) => r.target === 'router' && r.overheadMs.count > 0);
  if (router.length > 0) {
    const cs = router.map((r) => r.connections).join('/c');
    out.push({
      target: `[info] router x-router-overhead-ms p50 / p99, streamed (c${cs})`,
      value: router.map((r) => `${ms(r.overheadMs.p50)} / ${ms(r.overheadMs.p99)}`).join(', '),
      pass: undefined,
    });
  }
  return out;
}
