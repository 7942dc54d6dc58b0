/**
 * Batch throughput against synchronous requests, in one run, on the same router, the same real ONNX runtimes
 * and the same items: the router in local mode (runtimes as child processes, the examples' sentiment and
 * story-writer models) with its job queue on Redis (BullMQ, as a cluster runs it) or in process. For each
 * workload, rounds alternate between
 *
 * - sync: `concurrency` clients, each sending its next item (POST /api/inference/analyze or /text) when the
 *   previous one is answered, until every item is done;
 * - batch: one POST /api/inference/batch of the same items, the router's workers running `concurrency`
 *   items at a time (BATCH_CONCURRENCY = BATCH_MODEL_CONCURRENCY), polled until it has finished.
 *
 * The response cache is off (CACHE_TTL_SECONDS=0), so both paths run every item on the runtime. Items per
 * second are the medians of the rounds; "server" is the job's own created_at → completed_at; the ratio is
 * given both as the ratio of the medians and as the median of each round's batch/sync. CPU per item is read
 * from /proc for the router, its runtimes, a local Redis and the bench process (the sync clients).
 * See the "Batch" section of docs/benchmarks.md.
 *
 * Run: node --import tsx bench/batch/run.ts [--concurrency 4] [--rounds 3] [--classify 2000] [--generate 200]
 *        [--queue redis|memory] [--redis redis://127.0.0.1:6379] [--out results.json]
 * @module
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { cpuSeconds, freePort, ROOT, type Server, startServer, stopAll } from '../router/procs.js';
import { type Workload, workloads } from './workloads.js';

const { values: opts } = parseArgs({
  options: {
    concurrency: { type: 'string', default: '4' },
    rounds: { type: 'string', default: '3' },
    classify: { type: 'string', default: '2000' },
    generate: { type: 'string', default: '200' },
    queue: { type: 'string', default: 'redis' },
    redis: { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    out: { type: 'string', default: join(tmpdir(), `batch-bench-${Date.now()}.json`) },
  },
});
const concurrency = Number(opts.concurrency);
const rounds = Number(opts.rounds);
if (opts.queue !== 'redis' && opts.queue !== 'memory') throw new Error('--queue: redis or memory');
const prefix = `bench-batch-${randomUUID().slice(0, 8)}:`;
const log = (line: string) => process.stderr.write(`${line}\n`);
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] as number;

/** The examples the bench needs, their artifact paths made absolute (models/build, from `make models`). */
function modelsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'batch-bench-models-'));
  const build = pathToFileURL(join(ROOT, 'models/build')).href;
  for (const file of ['sentiment.yaml', 'story-writer.yaml']) {
    const text = readFileSync(join(ROOT, 'examples', file), 'utf8');
    writeFileSync(join(dir, file), text.replaceAll('file:../models/build', build));
  }
  return dir;
}

async function call(base: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${base}${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    ...(body === undefined
      ? {}
      : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
  });
  return { status: res.status, body: await res.json() };
}

async function ready(base: string, models: readonly string[], router: Server): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const listed = await call(base, '/api/models').catch(() => undefined);
    const ok = listed?.body.models?.filter((m: any) => models.includes(m.id) && m.ready) ?? [];
    if (ok.length === models.length) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`the runtimes did not become ready:\n${router.output.join('\n')}`);
}

/** The router's child processes (the runtimes), from /proc. */
function childrenOf(pid: number | undefined): number[] {
  if (pid === undefined) return [];
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(' ').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

type Cpu = Record<'router' | 'runtimes' | 'redis' | 'bench', number>;

/** CPU seconds so far of the router, its runtimes, Redis (when its pid is known: a local Redis) and this process. */
function cpuNow(router: Server, redisPid: number | undefined): Cpu {
  const self = process.cpuUsage();
  return {
    router: cpuSeconds(router.child.pid),
    runtimes: childrenOf(router.child.pid).reduce((sum, pid) => sum + cpuSeconds(pid), 0),
    redis: cpuSeconds(redisPid),
    bench: (self.user + self.system) / 1e6,
  };
}

/** `concurrency` clients, each sending its next item when the last is answered; items per second. */
async function syncRound(base: string, w: Workload): Promise<number> {
  let next = 0;
  let failed = 0;
  const started = performance.now();
  const client = async () => {
    while (next < w.items.length) {
      const item = w.items[next++] as Workload['items'][number];
      const res = await call(base, w.syncPath, w.syncBody(item));
      if (res.status !== 200) failed += 1;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  const seconds = (performance.now() - started) / 1000;
  if (failed) throw new Error(`${w.name}: ${failed} synchronous requests failed`);
  return w.items.length / seconds;
}

/** One batch of the same items, polled every 20 ms until finished; items per second (client, server). */
async function batchRound(base: string, w: Workload): Promise<{ client: number; server: number }> {
  const started = performance.now();
  const accepted = await call(base, '/api/inference/batch', { requests: w.items });
  if (accepted.status !== 202) throw new Error(`batch refused: ${JSON.stringify(accepted.body)}`);
  let job: any;
  for (;;) {
    job = (await call(base, `${accepted.body.status_url}?limit=1`)).body;
    if (['completed', 'failed', 'cancelled'].includes(job.status)) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const seconds = (performance.now() - started) / 1000;
  if (job.progress.succeeded !== w.items.length) throw new Error(`batch: ${JSON.stringify(job.progress)}`);
  const server = (Date.parse(job.completed_at) - Date.parse(job.created_at)) / 1000;
  return { client: w.items.length / seconds, server: w.items.length / server };
}

async function main(): Promise<void> {
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpu: cpus()[0]?.model ?? '?',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadavgAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
    queue: opts.queue === 'redis' ? `BullMQ on ${opts.redis}` : 'in process',
    concurrency,
    rounds,
  };
  log(`batch bench: ${meta.cores} cores (${meta.cpu}), node ${meta.node}, queue ${meta.queue}`);
  log(`load average at start: ${meta.loadavgAtStart.join(' ')}`);
  // The router inherits this process's environment: in memory mode it must not find a REDIS_URL there.
  if (opts.queue === 'memory') delete process.env.REDIS_URL;
  const dir = modelsDir();
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  try {
    const router = await startServer({
      name: 'router',
      args: ['--import', 'tsx', 'api/src/main.ts'],
      port,
      timeoutMs: 120_000,
      env: {
        PORT: String(port),
        HOST: '127.0.0.1',
        MODELS_DIR: dir,
        LOG_LEVEL: 'warn',
        LOCAL_RUNTIME_OUTPUT: 'ignore',
        OPENAI_API_KEY: '',
        CACHE_TTL_SECONDS: '0',
        BATCH_CONCURRENCY: String(concurrency),
        BATCH_MODEL_CONCURRENCY: String(concurrency),
        BATCH_MAX_ITEMS: '100000',
        REDIS_KEY_PREFIX: prefix,
        ...(opts.queue === 'redis' ? { REDIS_URL: opts.redis } : {}),
      },
    });
    const redisPid = await localRedisPid();
    const chosen = workloads({ classify: Number(opts.classify), generate: Number(opts.generate) });
    await ready(base, ['sentiment', 'story-writer'], router);
    const results = [];
    for (const w of chosen) {
      // Warm-up: runtimes' sessions, the router's pools and JIT, both paths.
      const warm = { ...w, items: w.items.slice(0, Math.min(50, w.items.length)) };
      await syncRound(base, warm);
      await batchRound(base, warm);
      const sync: number[] = [];
      const batch: number[] = [];
      const server: number[] = [];
      const cpu: Record<'sync' | 'batch', Cpu> = {
        sync: { router: 0, runtimes: 0, redis: 0, bench: 0 },
        batch: { router: 0, runtimes: 0, redis: 0, bench: 0 },
      };
      for (let round = 0; round < rounds; round++) {
        // Alternate which goes first, so drift in the machine's load does not favour one path.
        for (const path of round % 2 === 0 ? (['sync', 'batch'] as const) : (['batch', 'sync'] as const)) {
          const before = cpuNow(router, redisPid);
          if (path === 'sync') sync.push(await syncRound(base, w));
          else {
            const r = await batchRound(base, w);
            batch.push(r.client);
            server.push(r.server);
          }
          const after = cpuNow(router, redisPid);
          for (const k of Object.keys(after) as (keyof Cpu)[]) cpu[path][k] += after[k] - before[k];
          log(
            `  ${w.name} round ${round + 1} ${path}: ${(path === 'sync' ? sync : batch).at(-1)?.toFixed(1)}/s`,
          );
        }
      }
      const row = {
        workload: w.name,
        items: w.items.length,
        syncPerSecond: sync,
        batchPerSecond: batch,
        batchServerPerSecond: server,
        ratio: median(batch) / median(sync),
        // Each round's batch against its own sync run (adjacent in time): robust to drift in the load.
        roundRatio: median(batch.map((b, i) => b / (sync[i] as number))),
        // CPU milliseconds per item, by process, over all rounds of each path.
        cpuMsPerItem: Object.fromEntries(
          (['sync', 'batch'] as const).map((path) => [
            path,
            Object.fromEntries(
              Object.entries(cpu[path]).map(([k, v]) => [k, (v * 1000) / (rounds * w.items.length)]),
            ),
          ]),
        ),
      };
      results.push(row);
      console.log(
        `${w.name} (${w.items.length} items, concurrency ${concurrency}): sync ${median(sync).toFixed(1)}/s, ` +
          `batch ${median(batch).toFixed(1)}/s (server ${median(server).toFixed(1)}/s), ` +
          `batch/sync ${(row.ratio * 100).toFixed(0)}% (median of the rounds' own ratios ${(row.roundRatio * 100).toFixed(0)}%)`,
      );
      for (const path of ['sync', 'batch'] as const) {
        const parts = Object.entries(row.cpuMsPerItem[path] as Record<string, number>);
        console.log(`  ${path} CPU ms per item: ${parts.map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')}`);
      }
    }
    const loadEnd = loadavg().map((v) => Math.round(v * 100) / 100);
    console.log(`load average at start ${meta.loadavgAtStart.join(' ')}, at end ${loadEnd.join(' ')}`);
    writeFileSync(opts.out, JSON.stringify({ ...meta, loadavgAtEnd: loadEnd, results }, null, 2));
    log(`results: ${opts.out}`);
  } finally {
    await stopAll();
    rmSync(dir, { recursive: true, force: true });
    if (opts.queue === 'redis') await deleteKeys(opts.redis, prefix);
  }
}

/** The pid of the Redis the queue uses when it runs on this machine (read from /proc); undefined otherwise. */
async function localRedisPid(): Promise<number | undefined> {
  if (opts.queue !== 'redis') return undefined;
  const redis = new Redis(opts.redis);
  try {
    const pid = Number(/process_id:(\d+)/.exec(await redis.info('server'))?.[1]);
    return cpuSeconds(pid) > 0 ? pid : undefined;
  } finally {
    redis.disconnect();
  }
}

async function deleteKeys(url: string, keyPrefix: string): Promise<void> {
  const redis = new Redis(url);
  try {
    let cursor = '0';
    do {
      const [nextCursor, keys] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1000);
      cursor = nextCursor;
      if (keys.length) await redis.del(...keys);
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

main().catch(async (err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  await stopAll();
  process.exit(1);
});
