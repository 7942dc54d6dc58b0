/**
 * Child processes of the router bench: start a server, learn its port, know when it answers, account
 * for the CPU it used, and stop it. Every server is its own process so that on 2 cores the numbers say
 * what each one costs, and so the load generator (this process) never shares an event loop with them.
 * @module
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';

export const ROOT = new URL('../../', import.meta.url).pathname;

export interface Server {
  readonly name: string;
  readonly port: number;
  readonly child: ChildProcess;
  /** The last lines the process wrote (stdout and stderr), kept for error messages. */
  readonly output: string[];
}

const running = new Set<ChildProcess>();

/** A port the OS considers free now (the server is then told to listen on it). */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const probe = createServer();
    probe.once('error', fail).listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() =>
        typeof address === 'object' && address ? ok(address.port) : fail(new Error('no port')),
      );
    });
  });
}

export interface StartOptions {
  readonly name: string;
  readonly args: readonly string[];
  readonly env?: Readonly<Record<string, string>>;
  /** Known in advance (the server was told it); otherwise read from a `{"listening":PORT}` stdout line. */
  readonly port?: number;
  readonly cwd?: string;
  readonly timeoutMs?: number;
}

/** Starts `node <args>` (in the repository root unless told otherwise) and resolves once it accepts TCP connections. */
export async function startServer(options: StartOptions): Promise<Server> {
  const child = spawn(process.execPath, [...options.args], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const output: string[] = [];
  const keep = (line: string) => {
    output.push(line.slice(0, 2000));
    if (output.length > 20) output.shift();
  };
  // Both pipes are drained for the whole run: a full pipe would block a server that writes to it.
  createInterface({ input: child.stderr! }).on('line', keep);
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const announced = new Promise<number>((ok) => {
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.startsWith('{"listening"')) ok((JSON.parse(line) as { listening: number }).listening);
      else keep(line);
    });
  });
  const exited = new Promise<never>((_ok, fail) => {
    child.once('exit', (code) =>
      fail(new Error(`${options.name} exited (${code}) before listening:\n${output.join('\n')}`)),
    );
  });
  const port = options.port ?? (await Promise.race([announced, exited, timeout(deadline, options.name)]));
  await Promise.race([accepting(port, deadline, options.name), exited]);
  return { name: options.name, port, child, output };
}

function timeout(deadline: number, name: string): Promise<never> {
  return new Promise((_ok, fail) => {
    setTimeout(() => fail(new Error(`${name} did not start in time`)), deadline - Date.now()).unref();
  });
}

async function accepting(port: number, deadline: number, name: string): Promise<void> {
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(1000) });
      await res.arrayBuffer();
      return; // any HTTP answer (404 included) means the server is up
    } catch {
      await new Promise((ok) => setTimeout(ok, 100));
    }
  }
  throw new Error(`${name} did not accept connections on ${port} in time`);
}

export async function stopAll(): Promise<void> {
  const waits = [...running].map(
    (child) =>
      new Promise<void>((ok) => {
        const force = setTimeout(() => child.kill('SIGKILL'), 3000);
        child.once('exit', () => {
          clearTimeout(force);
          ok();
        });
        child.kill('SIGTERM');
      }),
  );
  await Promise.all(waits);
}

/** CPU seconds a process has used (user + system), from /proc; 0 once it is gone. */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return 0;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in ticks of 1/100 s
  } catch {
    return 0;
  }
}

/** Busy CPU seconds of the whole machine, all cores (everything but idle and iowait). */
export function machineBusySeconds(): number {
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.slice(0, 8).reduce((a, b) => a + b, 0);
  return (total - (cpu[3] ?? 0) - (cpu[4] ?? 0)) / 100;
}

export interface CpuSample {
  readonly at: number;
  readonly machine: number;
  readonly self: number;
  readonly servers: ReadonlyMap<string, number>;
}

export function sampleCpu(servers: readonly Server[]): CpuSample {
  const usage = process.cpuUsage();
  return {
    at: performance.now(),
    machine: machineBusySeconds(),
    self: (usage.user + usage.system) / 1e6,
    servers: new Map(servers.map((s) => [s.name, cpuSeconds(s.child.pid)])),
  };
}

/** Percent of one core each party used between two samples; `other` is everyone outside this bench. */
export function cpuShares(a: CpuSample, b: CpuSample): Record<string, number> {
  const wall = (b.at - a.at) / 1000;
  const pct = (s: number) => Math.round((s / wall) * 100);
  const shares: Record<string, number> = { loadgen: pct(b.self - a.self) };
  let ours = b.self - a.self;
  for (const [name, end] of b.servers) {
    const used = end - (a.servers.get(name) ?? end);
    ours += used;
    shares[name] = pct(used);
  }
  shares.other = Math.max(0, pct(b.machine - a.machine - ours));
  return shares;
}
