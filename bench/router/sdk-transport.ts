/**
 * What one upstream call costs the router's process in CPU, by client: a bare node:http request (the floor
 * any Node router pays), the official openai SDK over the router's upstream fetch
 * (api/src/backends/upstream-fetch.ts, what the router uses), and the SDK over Node's global fetch (its
 * default). The upstream is bench/router/upstream.ts in a child process, so its CPU is not counted here.
 *
 * Run: node --import tsx bench/router/sdk-transport.ts [--requests 20000] [--concurrency 16] [--rounds 3]
 * Clients take turns round by round (a burst of work from elsewhere lands on all of them); the figure is
 * this process's CPU (user + system) per completed request, the median over rounds.
 * @module
 */
import { Agent, request } from 'node:http';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { createUpstreamFetch } from '../../api/src/backends/upstream-fetch.js';
import { startServer, stopAll } from './procs.js';

const { values } = parseArgs({
  options: {
    requests: { type: 'string', default: '20000' },
    concurrency: { type: 'string', default: '16' },
    rounds: { type: 'string', default: '3' },
  },
});
const REQUESTS = Number(values.requests);
const CONCURRENCY = Number(values.concurrency);
const ROUNDS = Number(values.rounds);

const BODY = {
  model: 'bench',
  messages: [{ role: 'user' as const, content: 'Say hello to the benchmark.' }],
  max_tokens: 16,
  temperature: 0.7,
};

type Call = () => Promise<void>;

function rawClient(port: number): Call {
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const payload = JSON.stringify(BODY);
  return () =>
    new Promise((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/v1/chat/completions',
          method: 'POST',
          agent,
          headers: {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(payload),
            authorization: 'Bearer sk-bench',
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.once('end', () => {
            const answer = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { choices: unknown[] };
            if (res.statusCode !== 200 || answer.choices.length !== 1) reject(new Error('bad answer'));
            else resolve();
          });
          res.once('error', reject);
        },
      );
      req.once('error', reject);
      req.end(payload);
    });
}

function sdkClient(port: number, fetch?: typeof globalThis.fetch): Call {
  const client = new OpenAI({
    apiKey: 'sk-bench',
    baseURL: `http://127.0.0.1:${port}/v1`,
    maxRetries: 0,
    ...(fetch ? { fetch } : {}),
  });
  return async () => {
    const completion = await client.chat.completions.create(BODY);
    if (completion.choices.length !== 1) throw new Error('bad answer');
  };
}

async function round(call: Call): Promise<{ usPerRequest: number; rps: number }> {
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const worker = async () => {
    while (next < REQUESTS) {
      next++;
      await call();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const used = process.cpuUsage(cpu);
  const seconds = (performance.now() - started) / 1000;
  return { usPerRequest: (used.user + used.system) / REQUESTS, rps: REQUESTS / seconds };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function main(): Promise<void> {
  const upstream = await startServer({
    name: 'upstream',
    args: ['--import', 'tsx', 'bench/router/upstream.ts'],
  });
  const routerFetch = createUpstreamFetch();
  const clients: [string, Call][] = [
    ['node:http request (floor)', rawClient(upstream.port)],
    ['openai SDK + router upstream fetch', sdkClient(upstream.port, routerFetch.fetch)],
    ['openai SDK + global fetch (default)', sdkClient(upstream.port)],
  ];
  console.log(
    `sdk-transport: ${REQUESTS} requests x ${ROUNDS} rounds at concurrency ${CONCURRENCY}, node ${process.version}, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  const results = new Map<string, { us: number[]; rps: number[] }>(
    clients.map(([name]) => [name, { us: [], rps: [] }]),
  );
  for (const [, call] of clients) await Promise.all(Array.from({ length: 200 }, call)); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    for (const [name, call] of clients) {
      const { usPerRequest, rps } = await round(call);
      results.get(name)?.us.push(usPerRequest);
      results.get(name)?.rps.push(rps);
    }
  }
  console.log('| client | µs cpu/request (median) | rounds | req/s (median) |');
  console.log('|---|---|---|---|');
  for (const [name, { us, rps }] of results) {
    console.log(
      `| ${name} | ${median(us).toFixed(0)} | ${us.map((u) => u.toFixed(0)).join(' / ')} | ${median(rps).toFixed(0)} |`,
    );
  }
  routerFetch.close();
  await stopAll();
}

main().catch(async (err: unknown) => {
  console.error(err);
  await stopAll();
  process.exit(1);
});
