/**
 * The two load shapes of the router bench. Closed loop: autocannon with N connections, each sending its
 * next request when the previous answer arrives (throughput and latency at concurrency N). Open loop: a
 * paced client that sends at a fixed rate whatever the answers do, reading `x-router-overhead-ms` from
 * every response. Latencies are kept as float milliseconds: autocannon's own histogram has 1 ms
 * resolution, too coarse for a loopback floor or a cache hit that both sit under 1 ms.
 * @module
 */
import { Agent, request } from 'node:http';
import autocannon, { type AutocannonRequest } from 'autocannon';
import { Samples, type Summary, summarize } from './stats.js';

export interface Target {
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface ClosedResult {
  readonly connections: number;
  readonly seconds: number;
  readonly rps: number;
  readonly ok: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
  readonly latencyMs: Summary;
  /** Values of `x-cache` seen, when asked to read headers. */
  readonly cache?: Record<string, number>;
}

export async function closedLoop(
  target: Target,
  connections: number,
  seconds: number,
  readCacheHeader = false,
): Promise<ClosedResult> {
  const latencies = new Samples();
  const cache: Record<string, number> = {};
  // A header hook costs the load generator a little per response, so only the cache runs pay it.
  const requests: AutocannonRequest[] | undefined = readCacheHeader
    ? [
        {
          onResponse: (_status, _body, _ctx, headers) => {
            const value = headers['x-cache'] ?? '(none)';
            cache[value] = (cache[value] ?? 0) + 1;
          },
        },
      ]
    : undefined;
  const result = await autocannon({
    url: target.url,
    method: 'POST',
    body: target.body,
    headers: { 'content-type': 'application/json', ...target.headers },
    connections,
    duration: seconds,
    timeout: 10,
    ...(requests ? { requests } : {}),
    setupClient: (client) => {
      client.on('response', (status: number, _bytes: number, ms: number) => {
        if (status >= 200 && status < 300) latencies.push(ms);
      });
    },
  });
  return {
    connections,
    seconds: result.duration,
    rps: Math.round(result['2xx'] / result.duration),
    ok: result['2xx'],
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
    latencyMs: summarize(latencies.values()),
    ...(readCacheHeader ? { cache } : {}),
  };
}

export interface PacedResult {
  readonly rate: number;
  readonly seconds: number;
  readonly sent: number;
  readonly ok: number;
  readonly failed: number;
  readonly achievedRps: number;
  readonly maxInFlight: number;
  readonly latencyMs: Summary;
  /** `x-router-overhead-ms` of every 2xx response that carried it. */
  readonly overheadMs: Summary;
  readonly withOverheadHeader: number;
}

/**
 * Open loop at `rate` requests per second for `seconds`. A 1 ms timer releases whatever is due, so the
 * pacing is even to about a millisecond without a busy loop (which would take a core from the servers).
 * autocannon's overallRate is not used: it sends each second's quota in a burst, then waits.
 */
export async function pacedLoop(target: Target, rate: number, seconds: number): Promise<PacedResult> {
  const url = new URL(target.url);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(target.body)),
    ...target.headers,
  };
  const total = Math.round(rate * seconds);
  const latencies = new Samples();
  const overheads = new Samples();
  let sent = 0;
  let ok = 0;
  let failed = 0;
  let inFlight = 0;
  let maxInFlight = 0;

  const fire = (done: () => void): void => {
    const start = performance.now();
    inFlight++;
    maxInFlight = Math.max(maxInFlight, inFlight);
    let settled = false;
    const finish = (good: boolean, overhead?: string | string[]) => {
      if (settled) return; // a socket error can follow a complete response
      settled = true;
      inFlight--;
      if (good) {
        ok++;
        latencies.push(performance.now() - start);
        if (typeof overhead === 'string') overheads.push(Number(overhead));
      } else failed++;
      done();
    };
    const req = request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers },
      (res) => {
        res.resume();
        res.once('end', () => {
          const good = (res.statusCode ?? 0) >= 200 && (res.statusCode ?? 0) < 300;
          finish(good, res.headers['x-router-overhead-ms']);
        });
        res.once('error', () => finish(false));
      },
    );
    req.once('error', () => finish(false));
    // A request that never answers must still count, or the run would never end.
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.end(target.body);
  };

  const began = performance.now();
  await new Promise<void>((allDone) => {
    let finished = 0;
    const done = () => {
      if (++finished === total) allDone();
    };
    const tick = () => {
      const due = Math.min(total, Math.floor(((performance.now() - began) * rate) / 1000) + 1);
      while (sent < due) {
        sent++;
        fire(done);
      }
      if (sent < total) setTimeout(tick, 1);
    };
    tick();
  });
  const elapsed = (performance.now() - began) / 1000;
  agent.destroy();
  const overheadValues = overheads.values();
  return {
    rate,
    seconds: elapsed,
    sent,
    ok,
    failed,
    achievedRps: Math.round(ok / elapsed),
    maxInFlight,
    latencyMs: summarize(latencies.values()),
    overheadMs: summarize(overheadValues),
    withOverheadHeader: overheadValues.length,
  };
}
