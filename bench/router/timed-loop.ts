/**
 * A closed loop of our own (node:http, keep-alive, one socket per connection) that times every request
 * twice: to the first body byte (TTFB) and to the end of the body. autocannon gives neither for a
 * stream: it reports one latency per response. The body is read to its end and thrown away; its size
 * and, when asked, how it ends (`data: [DONE]`) say whether the whole answer came through.
 * @module
 */
import { Agent, request } from 'node:http';
import type { Target } from './load.js';
import { Samples, type Summary, summarize } from './stats.js';

export interface TimedResult {
  readonly connections: number;
  /** Elapsed, from the first request to the last answer (the requests in flight at the deadline included). */
  readonly seconds: number;
  /** 2xx answers read to their end, per second. */
  readonly rps: number;
  readonly ok: number;
  /** Non-2xx answers, socket errors and timeouts. */
  readonly failed: number;
  /** Of the ok answers, those whose body ended as expected (all of them when nothing is expected). */
  readonly complete: number;
  readonly ttfbMs: Summary;
  readonly totalMs: Summary;
  /** Body bytes of the smallest and largest ok answer. */
  readonly bytes: { readonly min: number; readonly max: number };
  /** `x-router-overhead-ms` of the ok answers that carried it. */
  readonly overheadMs: Summary;
}

/**
 * `connections` requests in flight for `seconds`, each connection sending its next request when the
 * previous answer has been read to its end. Requests sent before the deadline are waited for and count,
 * so a run lasts `seconds` plus the slowest answer (the elapsed time is returned and used for the rate).
 */
export async function timedLoop(
  target: Target,
  connections: number,
  seconds: number,
  expectEnd?: string,
): Promise<TimedResult> {
  const url = new URL(target.url);
  const agent = new Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
  const headers = {
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(target.body)),
    ...target.headers,
  };
  const end = expectEnd ? Buffer.from(expectEnd) : undefined;
  const ttfb = new Samples();
  const total = new Samples();
  const overheads = new Samples();
  const counts = { ok: 0, failed: 0, complete: 0, minBytes: Number.POSITIVE_INFINITY, maxBytes: 0 };

  const once = (): Promise<void> =>
    new Promise((done) => {
      const start = performance.now();
      let first = 0;
      let bytes = 0;
      let tail: Buffer = Buffer.alloc(0);
      let settled = false;
      const finish = (good: boolean, overhead?: string | string[]) => {
        if (settled) return; // a socket error can follow a complete answer
        settled = true;
        if (good) {
          counts.ok++;
          ttfb.push((first || performance.now()) - start);
          total.push(performance.now() - start);
          counts.minBytes = Math.min(counts.minBytes, bytes);
          counts.maxBytes = Math.max(counts.maxBytes, bytes);
          if (!end || tail.subarray(-end.length).equals(end)) counts.complete++;
          if (typeof overhead === 'string') overheads.push(Number(overhead));
        } else counts.failed++;
        done();
      };
      const req = request(
        { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers },
        (res) => {
          const status = res.statusCode ?? 0;
          res.on('data', (chunk: Buffer) => {
            if (first === 0) first = performance.now();
            bytes += chunk.length;
            // Only the last bytes matter, and only when the end is checked.
            if (end)
              tail = chunk.length >= end.length ? chunk : Buffer.concat([tail, chunk]).subarray(-end.length);
          });
          res.once('end', () => finish(status >= 200 && status < 300, res.headers['x-router-overhead-ms']));
          res.once('error', () => finish(false));
        },
      );
      req.once('error', () => finish(false));
      req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
      req.end(target.body);
    });

  const began = performance.now();
  const deadline = began + seconds * 1000;
  const worker = async () => {
    while (performance.now() < deadline) {
      const failedBefore = counts.failed;
      await once();
      // A target that refuses at once must not turn the loop into a busy one.
      if (counts.failed > failedBefore) await new Promise((ok) => setTimeout(ok, 10));
    }
  };
  await Promise.all(Array.from({ length: connections }, worker));
  const elapsed = (performance.now() - began) / 1000;
  agent.destroy();
  return {
    connections,
    seconds: elapsed,
    rps: Math.round(counts.ok / elapsed),
    ok: counts.ok,
    failed: counts.failed,
    complete: counts.complete,
    ttfbMs: summarize(ttfb.values()),
    totalMs: summarize(total.values()),
    bytes: { min: counts.ok ? counts.minBytes : 0, max: counts.maxBytes },
    overheadMs: summarize(overheads.values()),
  };
}
