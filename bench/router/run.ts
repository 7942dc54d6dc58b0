/**
 * The router benchmark: direct, a minimal Node proxy (the floor), the router and the Portkey gateway,
 * side by side in one run against the same loopback mock, on whatever cores this machine has (2 on the
 * dev box: the load generator, the mock and the server under test all share them, and the cpu columns
 * say who used what). See the "Router (bench/router)" section of docs/benchmarks.md.
 * The router runs as in production: router API keys, rate limits (never reached) and metering on; every
 * request it forwards is a cache miss (temperature 0.7) but for the cache scenario's.
 * Run: node --import tsx bench/router/run.ts [--scenarios throughput,cache,paced,stream,memory]
 *        [--duration 10] [--warmup 1] [--concurrency 1,16,64] [--stream-concurrency 1,16]
 *        [--memory-concurrency 512] [--memory-seconds 5]
 *        [--only direct,proxy,proxy-fetch,router,portkey] [--rate 1000,250] [--out results.json]
 *        [--router-root DIR]   (a checkout of another commit with node_modules, to compare routers)
 * @module
 */
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { closedLoop, pacedLoop, type Target } from './load.js';
import { type MemoryRun, memoryRun, memoryTable, memoryVerdicts } from './memory.js';
import { runMeta } from './meta.js';
import { cpuShares, freePort, ROOT, type Server, sampleCpu, startServer, stopAll } from './procs.js';
import {
  type CacheRun,
  cacheTable,
  type Paced,
  pacedTable,
  type Run,
  runsTable,
  verdicts,
  verdictTable,
} from './report.js';
import {
  ALL,
  AUTH,
  bigBody,
  chatBody,
  type Name,
  overheadHistogram,
  routerManifest,
  routerReady,
  serverOptions,
  streamBody,
} from './servers.js';
import { type StreamRun, streamRuns, streamTable, streamVerdicts } from './stream.js';

const SCENARIOS = ['throughput', 'cache', 'paced', 'stream', 'memory'] as const;
type Scenario = (typeof SCENARIOS)[number];

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '1' },
    scenarios: { type: 'string', default: SCENARIOS.join(',') },
    concurrency: { type: 'string', default: '1,16,64' },
    'stream-concurrency': { type: 'string', default: '1,16' },
    'memory-concurrency': { type: 'string', default: '512' },
    'memory-seconds': { type: 'string', default: '5' },
    only: { type: 'string', default: ALL.join(',') },
    rate: { type: 'string', default: '1000,250' },
    'paced-seconds': { type: 'string' },
    'upstream-latency-ms': { type: 'string', default: '0' },
    'router-root': { type: 'string' },
    // The router runs compiled (dist/, as the container image runs it); --router-source runs it through tsx.
    'router-source': { type: 'boolean', default: false },
    out: { type: 'string', default: join(tmpdir(), `router-bench-${Date.now()}.json`) },
  },
});
const seconds = Number(opts.duration);
const warmup = Number(opts.warmup);
const list = (v: string) => v.split(',').map((s) => s.trim());
const scenarios = list(opts.scenarios) as Scenario[];
for (const s of scenarios)
  if (!SCENARIOS.includes(s)) throw new Error(`--scenarios: unknown ${s} (one of ${SCENARIOS.join(', ')})`);
const concurrencies = opts.concurrency.split(',').map(Number);
const streamConcurrencies = opts['stream-concurrency'].split(',').map(Number);
const memoryConcurrency = Number(opts['memory-concurrency']);
const memorySeconds = Number(opts['memory-seconds']);
const rates = opts.rate.split(',').map(Number);
const pacedSeconds = Number(opts['paced-seconds'] ?? seconds);
const only = list(opts.only) as Name[];
for (const n of only)
  if (!ALL.includes(n)) throw new Error(`--only: unknown target ${n} (one of ${ALL.join(', ')})`);
const routerRoot = opts['router-root'] ? resolve(opts['router-root']) : ROOT;

const log = (line: string) => process.stderr.write(`${line}\n`);
/** Temporary folders to remove however the run ends. */
const cleanup: string[] = [];

async function main(): Promise<void> {
  const compiled = !opts['router-source'];
  if (compiled && only.includes('router')) {
    log(`building the router (tsc -p tsconfig.build.json in ${routerRoot})`);
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: routerRoot, stdio: 'inherit' });
  }
  const meta = {
    ...runMeta(routerRoot, compiled),
    scenarios,
    seconds,
    warmup,
    concurrencies,
    streamConcurrencies,
    memory: { concurrency: memoryConcurrency, seconds: memorySeconds },
    rates,
    upstreamLatencyMs: Number(opts['upstream-latency-ms']),
    proxyClients: { proxy: 'node:http Agent keep-alive', 'proxy-fetch': 'global fetch (undici inside Node)' },
    routerEnv: 'ROUTER_API_KEYS, ROUTER_RATE_LIMITS (*=100000000 per 60 s), metering on, no Redis',
    mainRunXCache: undefined as string | undefined,
  };
  log(
    `router bench: ${meta.cores} cores (${meta.cpu}), node ${meta.node}, router at ${meta.commit}, ${meta.routerRuns}`,
  );
  log(`load average at start: ${meta.loadavgAtStart.join(' ')}`);

  const upstream = await startServer({
    name: 'upstream',
    args: ['--import', 'tsx', 'bench/router/upstream.ts', '--latency-ms', opts['upstream-latency-ms']],
  });
  const modelsDir = routerManifest(upstream.port);
  cleanup.push(modelsDir);
  const started = await Promise.all(
    only
      .filter((n): n is Exclude<Name, 'direct'> => n !== 'direct')
      .map(async (n) =>
        startServer(
          serverOptions(n, {
            upstream: upstream.port,
            port: await freePort(),
            modelsDir,
            routerRoot,
            compiled,
          }),
        ),
      ),
  );
  const servers: Server[] = [upstream, ...started];
  const byName = new Map(servers.map((s) => [s.name, s]));
  const router = byName.get('router');
  if (router)
    await routerReady(router.port).catch((err: Error) => {
      throw new Error(`${err.message}\nrouter output:\n${router.output.join('\n')}`);
    });

  const targetOf = (name: Name, body = chatBody(0.7)): Target => {
    const port = name === 'direct' ? upstream.port : byName.get(name)!.port;
    const headers =
      name === 'portkey'
        ? {
            ...AUTH,
            'x-portkey-provider': 'openai',
            'x-portkey-custom-host': `http://127.0.0.1:${upstream.port}/v1`,
          }
        : AUTH;
    return { url: `http://127.0.0.1:${port}/v1/chat/completions`, body, headers };
  };

  if (router) {
    // The throughput runs must not be cache hits: record what the router says it did with their body.
    const probe = targetOf('router');
    const res = await fetch(probe.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...probe.headers },
      body: probe.body,
    });
    await res.arrayBuffer();
    meta.mainRunXCache = res.headers.get('x-cache') ?? '(none)';
    log(`router: x-cache of the throughput body: ${meta.mainRunXCache}`);
  }

  // JIT and connection pools warm before anything counts (tsx-loaded servers compile on first use).
  for (const n of only) await closedLoop(targetOf(n), 16, 3);

  const measured = async <T>(fn: () => Promise<T>): Promise<T & { cpu: Record<string, number> }> => {
    const before = sampleCpu(servers);
    const result = await fn();
    return { ...result, cpu: cpuShares(before, sampleCpu(servers)) };
  };

  // Concurrency-major order: each target's runs are spread over the whole bench, so a burst of work
  // from outside the bench (a shared machine) does not land on one target only.
  const runs: Run[] = [];
  for (const c of scenarios.includes('throughput') ? concurrencies : []) {
    for (const n of only) {
      if (warmup > 0) await closedLoop(targetOf(n), c, warmup);
      const run: Run = { target: n, ...(await measured(() => closedLoop(targetOf(n), c, seconds))) };
      runs.push(run);
      log(`${n} c${c}: ${run.rps} req/s, p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms`);
    }
  }

  const cache: CacheRun[] = [];
  if (router && scenarios.includes('cache')) {
    const deterministic = targetOf('router', chatBody(0));
    await closedLoop(deterministic, 1, 1); // the first answer is stored; the rest may hit
    for (const c of [1, 16]) {
      const run = await measured(() => closedLoop(deterministic, c, seconds, true));
      cache.push(run);
      log(`router cache c${c}: ${JSON.stringify(run.cache)}, p50 ${run.latencyMs.p50} ms`);
    }
  }
  const paced: Paced[] = [];
  if (router && scenarios.includes('paced')) {
    for (const rate of rates) {
      const direct = await pacedLoop(targetOf('direct'), rate, pacedSeconds);
      const before = await overheadHistogram(router.port);
      const result = await measured(() => pacedLoop(targetOf('router'), rate, pacedSeconds));
      const after = await overheadHistogram(router.port);
      const count = after.count - before.count;
      const histogram = { count, meanMs: count ? ((after.sum - before.sum) / count) * 1000 : 0 };
      paced.push({ ...result, direct, histogram });
      const o = result.overheadMs;
      log(
        `router paced ${rate} req/s: ${result.achievedRps} done, overhead p50 ${o.p50} ms, p99 ${o.p99} ms`,
      );
    }
  }
  const stream: StreamRun[] = scenarios.includes('stream')
    ? await streamRuns({
        targets: only,
        target: (n) => targetOf(n as Name, streamBody()),
        concurrencies: streamConcurrencies,
        seconds,
        warmup,
        measured,
        log,
      })
    : [];
  // Last: it leaves the router with the largest heap, which would weigh on whatever ran after it.
  let memory: MemoryRun | undefined;
  if (scenarios.includes('memory')) {
    if (!router) log('memory: skipped, it measures the router (add router to --only)');
    else {
      const target = targetOf('router', bigBody());
      memory = await memoryRun({
        router,
        target,
        concurrency: memoryConcurrency,
        seconds: memorySeconds,
        measured,
        log,
      });
    }
  }

  const targets = [
    ...verdicts(runs, cache, paced),
    ...streamVerdicts(stream),
    ...(memory ? memoryVerdicts(memory) : []),
  ];
  const results = { meta, runs, cache, paced, stream, memory: memory ?? null, targets };
  writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);
  const dirty = meta.uncommittedFiles ? ` + ${meta.uncommittedFiles} uncommitted files` : '';
  const out = [
    '',
    `Router bench ${meta.date}, router at ${meta.commit}${dirty} (sources ${meta.routerSourceHash}); ${meta.cores} x ${meta.cpu}, ${meta.memoryGiB} GiB, node ${meta.node}`,
    `All processes (load generator, upstream mock, servers) share these ${meta.cores} cores; cpu columns are % of one core (${meta.cores * 100}% = the whole machine), "other" = processes outside the bench.`,
    `Chat completions on /v1/chat/completions, ${seconds} s per run after ${warmup} s warm-up; router with API keys, rate limits and metering on, cache-miss bodies (x-cache ${meta.mainRunXCache ?? '-'}); proxy = node:http keep-alive client, proxy-fetch = global fetch.`,
  ];
  if (runs.length) out.push('', runsTable(runs));
  if (cache.length) out.push('', cacheTable(cache));
  for (const p of paced) {
    const h = p.histogram;
    const mean = `${h?.count} observations, mean ${h?.meanMs.toFixed(3)} ms (header mean ${p.overheadMs.mean} ms)`;
    out.push(
      '',
      pacedTable(p),
      `router_overhead_seconds on /metrics over this run: ${mean}; cpu ${JSON.stringify(p.cpu)}`,
    );
  }
  if (stream.length) out.push('', streamTable(stream));
  if (memory) out.push('', memoryTable(memory));
  out.push('', verdictTable(targets), '', `raw results: ${opts.out}`);
  process.stdout.write(`${out.join('\n')}\n`);
}

process.once('SIGINT', () => {
  void stopAll().then(() => process.exit(130));
});
try {
  await main();
} finally {
  await stopAll();
  for (const dir of cleanup) rmSync(dir, { recursive: true, force: true });
}
