/**
 * A fast OpenAI-compatible mock on loopback: the one upstream every target of the router benchmark
 * forwards to, so differences between targets are the targets' own. Answers are prebuilt buffers (the
 * mock should cost as little CPU as possible, since it shares the 2 cores with everything else).
 * Run: node --import tsx bench/router/upstream.ts [--port 0] [--latency-ms 0]
 * It prints one JSON line `{"listening":PORT}` on stdout when ready.
 * @module
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const CREATED = 1_700_000_000;

const completion = Buffer.from(
  JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion',
    created: CREATED,
    model: 'bench',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: 'Hello from the bench upstream.' },
        finish_reason: 'stop',
      },
    ],
    usage: { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 },
  }),
);

const chunk = (delta: object, finish: string | null, usage?: object): string =>
  `data: ${JSON.stringify({
    id: 'chatcmpl-bench',
    object: 'chat.completion.chunk',
    created: CREATED,
    model: 'bench',
    choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }],
    ...(usage ? { usage } : {}),
  })}\n\n`;

// A final usage chunk (choices: []) the way OpenAI sends it with stream_options.include_usage.
const stream = Buffer.from(
  [
    chunk({ role: 'assistant', content: '' }, null),
    chunk({ content: 'Hello from ' }, null),
    chunk({ content: 'the bench upstream.' }, null),
    chunk({}, 'stop'),
    chunk({}, null, { prompt_tokens: 12, completion_tokens: 7, total_tokens: 19 }),
    'data: [DONE]\n\n',
  ].join(''),
);

const embeddings = Buffer.from(
  JSON.stringify({
    object: 'list',
    data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2, 0.3, 0.4] }],
    model: 'bench',
    usage: { prompt_tokens: 4, total_tokens: 4 },
  }),
);

const models = Buffer.from(
  JSON.stringify({
    object: 'list',
    data: [{ id: 'bench', object: 'model', created: CREATED, owned_by: 'bench' }],
  }),
);

const notFound = Buffer.from(
  JSON.stringify({ error: { message: 'not found', type: 'invalid_request_error' } }),
);

function send(res: ServerResponse, status: number, body: Buffer, type = 'application/json'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': body.length });
  res.end(body);
}

function answer(req: IncomingMessage, res: ServerResponse, raw: string): void {
  const path = req.url?.split('?')[0] ?? '';
  if (req.method === 'POST' && path.endsWith('/chat/completions')) {
    // A substring test, not JSON.parse: the mock must stay cheaper than anything it is compared with.
    if (/"stream"\s*:\s*true/.test(raw)) send(res, 200, stream, 'text/event-stream');
    else send(res, 200, completion);
  } else if (req.method === 'POST' && path.endsWith('/embeddings')) send(res, 200, embeddings);
  else if (req.method === 'GET' && path.endsWith('/models')) send(res, 200, models);
  else send(res, 404, notFound);
}

export function startUpstream(port = 0, latencyMs = 0): Promise<Server> {
  const server = createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      raw += c;
    });
    req.on('end', () => {
      if (latencyMs > 0) setTimeout(answer, latencyMs, req, res, raw);
      else answer(req, res, raw);
    });
  });
  // Node's default keep-alive timeout (5 s) would drop idle pooled connections between bench phases.
  server.keepAliveTimeout = 60_000;
  return new Promise((ok, fail) => {
    server.once('error', fail).listen(port, '127.0.0.1', () => ok(server));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: { port: { type: 'string', default: '0' }, 'latency-ms': { type: 'string' } },
  });
  const latency = Number(values['latency-ms'] ?? process.env.UPSTREAM_LATENCY_MS ?? 0);
  const server = await startUpstream(Number(values.port), latency);
  process.stdout.write(`${JSON.stringify({ listening: (server.address() as AddressInfo).port })}\n`);
}
