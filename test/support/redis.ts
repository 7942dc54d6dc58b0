/**
 * Redis for the store tests: the shared server on 127.0.0.1:6379 (REDIS_URL overrides; `.ci/run` starts one),
 * unique key prefixes so parallel runs do not collide, and dedicated `redis-server` processes on free ports
 * for the tests that kill, restart or stall a server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { Writable } from 'node:stream';
import { Redis } from 'ioredis';
import { type Logger, pino } from 'pino';
import { eventually } from './eventually.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

async function answers(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, retryStrategy: () => null, connectTimeout: 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/**
 * For `before` hooks of Redis suites: the URL of the shared Redis, or a skip. `make test` sets
 * CLUSTER_REQUIRED, so there a missing Redis fails the run instead of skipping it (as requireCluster does).
 */
export async function requireRedis(ctx: Mocha.Context): Promise<string> {
  if (await answers(REDIS_URL)) return REDIS_URL;
  if (process.env.CLUSTER_REQUIRED)
    throw new Error(
      `No Redis answers at ${REDIS_URL}: start one (redis-server --port 6379 --save '' --appendonly no; .ci/run does) or set REDIS_URL`,
    );
  ctx.skip();
  throw new Error('unreachable');
}

/** A key prefix no other run or test uses. */
export const uniquePrefix = (what: string): string =>
  `test:${what}:${process.pid}:${randomUUID().slice(0, 8)}:`;

/** Deletes a test's keys (SCAN is fine here: a test prefix holds a handful of keys). */
export async function deleteKeys(url: string, prefix: string): Promise<void> {
  const client = new Redis(url);
  try {
    for await (const keys of client.scanStream({ match: `${prefix}*`, count: 1000 }) as AsyncIterable<
      string[]
    >)
      if (keys.length) await client.unlink(...keys);
  } finally {
    client.disconnect();
  }
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

export const sleep = (ms: number) => new Promise((ok) => setTimeout(ok, ms));

/** Waits until `check()` holds (polls every 100 ms). */
export const until = (check: () => boolean, what: string, timeoutMs = 5000) =>
  eventually(async () => (check() ? true : undefined), what, timeoutMs);

// mocha --exit must not leave servers behind when a test fails half-way.
const children = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/**
 * A redis-server of its own that a test may kill, restart or put to sleep: without persistence, or with
 * `persistDir` the append-only file the job queue's docs ask for (restarting on the same port reloads it).
 */
export class RedisServer {
  #child: ChildProcess | undefined;

  private constructor(
    readonly port: number,
    readonly persistDir?: string,
  ) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  static async start(options: { persistDir?: string } = {}): Promise<RedisServer> {
    const server = new RedisServer(await freePort(), options.persistDir);
    await server.start();
    return server;
  }

  async start(): Promise<void> {
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', ''];
    if (this.persistDir) {
      args.push('--appendonly', 'yes', '--appendfsync', 'everysec', '--maxmemory-policy', 'noeviction');
    } else args.push('--appendonly', 'no');
    // DEBUG SLEEP stands in for a stalled server; Redis 7 refuses DEBUG unless this is set.
    args.push('--enable-debug-command', 'yes', '--dir', this.persistDir ?? tmpdir());
    const child = spawn(process.env.REDIS_SERVER ?? 'redis-server', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.#child = child;
    children.add(child);
    child.once('exit', () => children.delete(child));
    let output = '';
    let exitedEarly: ((code: number | null) => void) | undefined;
    await new Promise<void>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`redis-server did not start: ${output}`)), 5000);
      child.once('error', fail);
      exitedEarly = (code) => fail(new Error(`redis-server exited with ${code}: ${output}`));
      child.once('exit', exitedEarly);
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          ok();
        }
      });
    });
    child.off('exit', exitedEarly!);
  }

  /** SIGKILL: no goodbye to clients, everything in memory gone. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
  }

  /**
   * Blocks the server for `seconds` with DEBUG SLEEP on a connection of its own. Resolves once the server is
   * asleep; `woke` resolves when it answers again.
   */
  async stall(seconds: number): Promise<{ woke: Promise<void> }> {
    const admin = new Redis(this.url);
    await admin.ping();
    const woke = admin.call('DEBUG', 'SLEEP', String(seconds)).then(() => admin.disconnect());
    await sleep(30);
    return { woke };
  }
}

/** A pino logger whose lines land in `lines`. */
export function memoryLogger(): { logger: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines };
}
