/**
 * The router benchmark: direct, a minimal Node proxy (the floor), the router and the Portkey gateway,
 * side by side in one run against the same loopback mock, on whatever cores this machine has (2 on the
 * dev box: the load generator, the mock and the server under test all share them, and the cpu columns
 * say who used what). See the "Router (bench/router)" section of docs/benchmarks.md.
 * Run: node --import tsx bench/router/run.ts [--duration 10] [--warmup 1] [--concurrency 1,16,64]
 *        [--only direct,proxy,proxy-fetch,router,portkey] [--rate 1000,250] [--out results.json]
 *        [--router-root DIR]   (a checkout of another commit with node_modules, to compare routers)
 * @module
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { closedLoop, pacedLoop, type Target } from './load.js';
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
  chatBody,
  type Name,
  overheadHistogram,
  routerManifest,
  routerRoute,
  serverOptions,
  textBody,
} from './servers.js';

const { values: opts } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '1' },
    concurrency: { type: 'string', default: '1,16,64' },
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
const concurrencies = opts.concurrency.split(',').map(Number);
const rates = opts.rate.split(',').map(Number);
const pacedSeconds = Number(opts['paced-seconds'] ?? seconds);
const only = opts.only.split(',').map((s) => s.trim()) as Name[];
for (const n of only)
  if (!ALL.includes(n)) throw new Error(`--only: unknown target ${n} (one of ${ALL.join(', ')})`);
const routerRoot = opts['router-root'] ? resolve(opts['router-root']) : ROOT;

const log = (line: string) => process.stderr.write(`${line}\n`);
const git = (...args: string[]) => {
  try {
    return execFileSync('git', args, { cwd: routerRoot, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
};

/**
 * The router is measured as it is in the working tree, often with uncommitted work on top of HEAD: a
 * hash of its sources (tracked and untracked) tells two runs of the same code apart from two commits.
 */
function sourceHash(): string {
  const files = git(
    'ls-files',
    '-co',
    '--exclude-standard',
    '--',
    'api/src',
    'crds/src',
    'operator/src/local',
  );
  const hash = createHash('sha256');
  for (const file of files.split('\n').filter(Boolean).sort()) {
    hash.update(file);
    if (existsSync(join(routerRoot, file))) hash.update(readFileSync(join(routerRoot, file)));
  }
  return hash.digest('hex').slice(0, 12);
}

/** Temporary folders to remove however the run ends. */
const cleanup: string[] = [];

async function main(): Promise<void> {
  const compiled = !opts['router-source'];
  if (compiled && only.includes('router')) {
    log(`building the router (tsc -p tsconfig.build.json in ${routerRoot})`);
    execFileSync('npx', ['tsc', '-p', 'tsconfig.build.json'], { cwd: routerRoot, stdio: 'inherit' });
  }
  const meta = {
    routerRuns: compiled ? 'compiled (node dist/api/src/main.js)' : 'from source (node --import tsx)',
    date: new Date().toISOString(),
    commit: git('rev-parse', '--short', 'HEAD') || '(not a git checkout)',
    uncommittedFiles: git('status', '--porcelain').split('\n').filter(Boolean).length,
    routerSourceHash: sourceHash(),
    routerRoot,
    node: process.version,
    cpu: cpus()[0]?.model ?? '?',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    loadavgAtStart: loadavg().map((v) => Math.round(v * 100) / 100),
    seconds,
    warmup,
    concurrencies,
    rates,
    upstreamLatencyMs: Number(opts['upstream-latency-ms']),
    proxyClients: { proxy: 'node:http Agent keep-alive', 'proxy-fetch': 'global fetch (undici inside Node)' },
    routerRoute: undefined as string | undefined,
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
  const route = router
    ? await routerRoute(router.port).catch((err: Error) => {
        throw new Error(`${err.message}\nrouter output:\n${router.output.join('\n')}`);
      })
    : undefined;
  meta.routerRoute = route === 'chat' ? '/v1/chat/completions' : route ? '/api/inference/text' : undefined;

  const targetOf = (name: Name, temperature = 0.7): Target => {
    const port = name === 'direct' ? upstream.port : byName.get(name)!.port;
    if (name === 'router' && route === 'text') {
      return {
        url: `http://127.0.0.1:${port}/api/inference/text`,
        body: textBody(temperature),
        headers: AUTH,
      };
    }
    const headers =
      name === 'portkey'
        ? {
            ...AUTH,
            'x-portkey-provider': 'openai',
            'x-portkey-custom-host': `http://127.0.0.1:${upstream.port}/v1`,
          }
        : AUTH;
    return { url: `http://127.0.0.1:${port}/v1/chat/completions`, body: chatBody(temperature), headers };
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
    log(`router route: ${meta.routerRoute}, x-cache of the throughput body: ${meta.mainRunXCache}`);
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
  for (const c of concurrencies) {
    for (const n of only) {
      if (warmup > 0) await closedLoop(targetOf(n), c, warmup);
      const run: Run = { target: n, ...(await measured(() => closedLoop(targetOf(n), c, seconds))) };
      runs.push(run);
      log(`${n} c${c}: ${run.rps} req/s, p50 ${run.latencyMs.p50} ms, p99 ${run.latencyMs.p99} ms`);
    }
  }

  const cache: CacheRun[] = [];
  const paced: Paced[] = [];
  if (router) {
    const deterministic = targetOf('router', 0);
    await closedLoop(deterministic, 1, 1); // the first answer is stored; the rest may hit
    for (const c of [1, 16]) {
      const run = await measured(() => closedLoop(deterministic, c, seconds, true));
      cache.push(run);
      log(`router cache c${c}: ${JSON.stringify(run.cache)}, p50 ${run.latencyMs.p50} ms`);
    }
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

  const results = { meta, runs, cache, paced, targets: verdicts(runs, cache, paced) };
  writeFileSync(opts.out, `${JSON.stringify(results, null, 2)}\n`);
  const dirty = meta.uncommittedFiles ? ` + ${meta.uncommittedFiles} uncommitted files` : '';
  const out = [
    '',
    `Router bench ${meta.date}, router at ${meta.commit}${dirty} (sources ${meta.routerSourceHash}); ${meta.cores} x ${meta.cpu}, ${meta.memoryGiB} GiB, node ${meta.node}`,
    `All processes (load generator, upstream mock, servers) share these ${meta.cores} cores; cpu columns are % of one core (${meta.cores * 100}% = the whole machine), "other" = processes outside the bench.`,
    `Non-streaming chat completion, ${seconds} s per run after ${warmup} s warm-up; router route ${meta.routerRoute ?? '-'} (x-cache ${meta.mainRunXCache ?? '-'}); proxy = node:http keep-alive client, proxy-fetch = global fetch.`,
    '',
    runsTable(runs),
  ];
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
  out.push('', verdictTable(results.targets), '', `raw results: ${opts.out}`);
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
