/**
 * The memory scenario: many large non-streamed answers in flight at once (the mock's 1 MiB completion at
 * concurrency 512), and the router's resident memory before, during and after. The router reads a
 * non-streamed answer whole before it writes it, so its memory grows with the answers in flight; the
 * question is whether it stays bounded and comes back down.
 * RSS is read from /proc/<pid>/status: VmRSS sampled every 20 ms, and VmHWM (the kernel's own peak) after
 * resetting it through /proc/<pid>/clear_refs, so the peak is this run's and not an earlier scenario's.
 * @module
 */
import { readFileSync, writeFileSync } from 'node:fs';
import type { Target } from './load.js';
import type { Server } from './procs.js';
import { ms, table, type Verdict } from './report.js';
import { type TimedResult, timedLoop } from './timed-loop.js';

export interface MemoryRun {
  readonly load: TimedResult;
  readonly cpu: Record<string, number>;
  /** VmRSS just before the load, after a second of quiet. */
  readonly idleMiB: number;
  /** The larger of the sampled VmRSS maximum and VmHWM, when the reset worked. */
  readonly peakMiB: number;
  readonly peakSampledMiB: number;
  /** VmHWM after the load; undefined when the kernel did not let the bench reset it. */
  readonly peakHwmMiB?: number;
  /** VmRSS two seconds after the load. */
  readonly afterMiB: number;
  readonly answerBytes: number;
}

/** VmRSS and VmHWM of a process, in MiB; zeros once it is gone. */
export function rssMiB(pid: number | undefined): { rss: number; hwm: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rss: kib('VmRSS') / 1024, hwm: kib('VmHWM') / 1024 };
  } catch {
    return { rss: 0, hwm: 0 };
  }
}

/** Resets VmHWM to the current RSS (Linux 4.0+, own processes only); false when it could not. */
function resetPeak(pid: number | undefined): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

const pause = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

export interface MemoryPlan {
  readonly router: Server;
  readonly target: Target;
  readonly concurrency: number;
  readonly seconds: number;
  readonly measured: <T>(fn: () => Promise<T>) => Promise<T & { cpu: Record<string, number> }>;
  readonly log: (line: string) => void;
}

export async function memoryRun(plan: MemoryPlan): Promise<MemoryRun> {
  const pid = plan.router.child.pid;
  await pause(1000);
  const idleMiB = rssMiB(pid).rss;
  const hwmReset = resetPeak(pid);
  let peakSampledMiB = idleMiB;
  const sampler = setInterval(() => {
    peakSampledMiB = Math.max(peakSampledMiB, rssMiB(pid).rss);
  }, 20);
  let measured: TimedResult & { cpu: Record<string, number> };
  try {
    measured = await plan.measured(() => timedLoop(plan.target, plan.concurrency, plan.seconds));
  } finally {
    clearInterval(sampler);
  }
  const { cpu, ...load } = measured;
  const peakHwmMiB = hwmReset ? rssMiB(pid).hwm : undefined;
  await pause(2000);
  const run: MemoryRun = {
    load,
    cpu,
    idleMiB,
    peakMiB: Math.max(peakSampledMiB, peakHwmMiB ?? 0),
    peakSampledMiB,
    ...(peakHwmMiB === undefined ? {} : { peakHwmMiB }),
    afterMiB: rssMiB(pid).rss,
    answerBytes: load.bytes.max,
  };
  plan.log(
    `router memory c${plan.concurrency}: idle ${mib(run.idleMiB)} MiB, peak ${mib(run.peakMiB)} MiB, after ${mib(run.afterMiB)} MiB; ${load.rps} req/s, ${load.ok} ok, ${load.failed} failed`,
  );
  return run;
}

const mib = (v: number): string => String(Math.round(v));

export function memoryTable(m: MemoryRun): string {
  const l = m.load;
  return table(
    [
      'router memory',
      'conc',
      's',
      'req/s',
      'ok',
      'failed',
      'bytes/answer',
      'p50 ms',
      'p99 ms',
      'RSS idle MiB',
      'RSS peak MiB',
      'RSS 2 s after MiB',
      'cpu: loadgen',
      'router',
      'upstream',
      'other',
    ],
    [
      [
        'non-streamed, 1 MiB answers',
        String(l.connections),
        l.seconds.toFixed(1),
        String(l.rps),
        String(l.ok),
        String(l.failed),
        l.bytes.min === l.bytes.max ? String(l.bytes.max) : `${l.bytes.min}-${l.bytes.max}`,
        ms(l.totalMs.p50),
        ms(l.totalMs.p99),
        mib(m.idleMiB),
        `${mib(m.peakMiB)}${m.peakHwmMiB === undefined ? ' (sampled)' : ''}`,
        mib(m.afterMiB),
        `${m.cpu.loadgen ?? '-'}%`,
        `${m.cpu.router ?? '-'}%`,
        `${m.cpu.upstream ?? '-'}%`,
        `${m.cpu.other ?? '-'}%`,
      ],
    ],
  );
}

/** The issue sets no bound, only asks for the figure: an [info] row, beside what was asked for at once. */
export function memoryVerdicts(m: MemoryRun): Verdict[] {
  const askedMiB = (m.load.connections * m.answerBytes) / 2 ** 20;
  const failed = m.load.failed > 0 ? `; ${m.load.failed} requests failed` : '';
  return [
    {
      target: `[info] router RSS stays bounded (c${m.load.connections}, 1 MiB answers)`,
      value: `idle ${mib(m.idleMiB)} MiB, peak ${mib(m.peakMiB)} MiB (+${mib(m.peakMiB - m.idleMiB)}; ${m.load.connections} x 1 MiB = ${mib(askedMiB)} MiB asked at once), ${mib(m.afterMiB)} MiB 2 s after${failed}`,
      pass: undefined,
    },
  ];
}
