/**
 * A fast OpenAI-compatible mock on loopback: the one upstream every target of the router benchmark
 * forwards to, so differences between targets are the targets' own. Answers are prebuilt buffers (the
 * mock should cost as little CPU as possible, since it shares the 2 cores with everything else). Chat
 * completions: a short answer; with `"stream": true`, SSE of STREAM_CHUNKS content chunks; with `max_tokens`
 * of BIG_ANSWER_TOKENS, a 1 MiB answer.
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

/** Content chunks of a streamed answer: enough events that relaying them, not the request, is the work. */
export const STREAM_CHUNKS = 64;
const role = chunk({ role: 'assistant', content: '' }, null);
const content = Array.from({ length: STREAM_CHUNKS }, (_, i) => chunk({ content: `token${i} ` }, null));
const streamUsage = { prompt_tokens: 12, completion_tokens: STREAM_CHUNKS, total_tokens: 12 + STREAM_CHUNKS };
// The role chunk goes first on its own, the rest in one write a tick later: time to first byte is the
// first event's, and a relay that held events back until the end would show in it. A final usage chunk
// (choices: []) only when asked, the way OpenAI sends it with stream_options.include_usage.
const streamHead = Buffer.from(role);
const streamTail = (usage: boolean) =>
  Buffer.from(
    [...content, chunk({}, 'stop'), usage ? chunk({}, null, streamUsage) : '', 'data: [DONE]\n\n'].join(''),
  );
const streamTails = { usage: streamTail(true), plain: streamTail(false) };

/**
 * `max_tokens` equal to BIG_ANSWER_TOKENS asks for a completion whose content is 1 MiB (the memory
 * scenario): a value a client could send, that passes through the router unchanged, and that no other
 * request of the bench uses. Built on first use.
 */
export const BIG_ANSWER_TOKENS = 1_048_576;
const bigAsked = new RegExp(`"max_tokens"\\s*:\\s*${BIG_ANSWER_TOKENS}\\b`);
let big: Buffer | undefined;
const bigCompletion = (): Buffer => {
  big ??= Buffer.from(
    JSON.stringify({
      id: 'chatcmpl-bench-big',
      object: 'chat.completion',
      created: CREATED,
      model: 'bench',
      choices: [
        { index: 0, message: { role: 'assistant', content: 'x'.repeat(2 ** 20) }, finish_reason: 'length' },
      ],
      usage: {
        prompt_tokens: 12,
        completion_tokens: BIG_ANSWER_TOKENS,
        total_tokens: 12 + BIG_ANSWER_TOKENS,
      },
    }),
  );
  return big;
};

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

function stream(res: ServerResponse, usage: boolean): void {
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  res.write(streamHead);
  setImmediate(() => res.end(usage ? streamTails.usage : streamTails.plain));
}

function answer(req: IncomingMessage, res: ServerResponse, raw: string): void {
  const path = req.url?.split('?')[0] ?? '';
  if (req.method === 'POST' && path.endsWith('/chat/completions')) {
    // A substring test, not JSON.parse: the mock must stay cheaper than anything it is compared with.
    if (/"stream"\s*:\s*true/.test(raw)) stream(res, /"include_usage"\s*:\s*true/.test(raw));
    else send(res, 200, bigAsked.test(raw) ? bigCompletion() : completion);
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
