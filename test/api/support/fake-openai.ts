/**
 * An OpenAI-compatible upstream on loopback for tests (we cannot call a paid provider here). It answers
 * chat completions (streamed or not), completions and embeddings, or fails on command: 500, 429 with
 * Retry-After, 400, 401, a hang (timeout), a dropped connection, a stream broken after its first chunk.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault =
  | 'none'
  | 'http500'
  | 'http429'
  | 'http400'
  | 'http401'
  | 'hang'
  | 'drop'
  | 'broken-stream'
  | 'stall-stream';

export type Scripted = { json: unknown; status?: number } | { events: string[] };

export interface FakeOpenAI {
  readonly baseURL: string;
  /** Requests received, newest last. */
  readonly requests: { path: string; body: Record<string, unknown>; headers: IncomingMessage['headers'] }[];
  /** The fault every request gets. */
  fault: Fault;
  /** Faults for the next requests, one each, before `fault` applies again. */
  readonly script: Fault[];
  /** Seconds sent in Retry-After with 429. */
  retryAfter: string;
  /** Milliseconds every answer waits before it is sent. */
  delayMs: number;
  /** When set and it returns a promise for a request's body, the answer waits for that promise. */
  hold?: (body: Record<string, unknown>) => Promise<unknown> | undefined;
  /**
   * When set and it returns an answer for a request, that is sent instead of the echo: a JSON body, or
   * server-sent events (each without its blank line; `data: [DONE]` is not added).
   */
  respond?: (path: string, body: Record<string, unknown>) => Scripted | undefined;
  close(): Promise<void>;
}

function send(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

const lastContent = (body: Record<string, unknown>): string => {
  const messages = body.messages as { content: string }[] | undefined;
  return messages ? (messages.at(-1)?.content ?? '') : String(body.prompt ?? '');
};

function streamed(
  res: ServerResponse,
  body: Record<string, unknown>,
  chat: boolean,
  broken: boolean | 'stall',
): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const words = ['echo:', ...lastContent(body).split(' ')].map((w, i) => (i === 0 ? w : ` ${w}`));
  const chunk = (text: string, finish: string | null) =>
    chat
      ? {
          id: 'c',
          object: 'chat.completion.chunk',
          created: 0,
          model: body.model,
          choices: [{ index: 0, delta: { content: text }, finish_reason: finish }],
        }
      : {
          id: 'c',
          object: 'text_completion',
          created: 0,
          model: body.model,
          choices: [{ index: 0, text, finish_reason: finish }],
        };
  res.write(`data: ${JSON.stringify(chunk(words[0] as string, null))}\n\n`);
  // A stalled upstream keeps the connection open and sends nothing more.
  if (broken === 'stall') return;
  if (broken) {
    // Let the first chunk reach the client before the connection dies, as a real mid-stream failure does.
    setTimeout(() => res.socket?.destroy(), 50);
    return;
  }
  for (const word of words.slice(1)) res.write(`data: ${JSON.stringify(chunk(word, null))}\n\n`);
  res.write(
    `data: ${JSON.stringify({ ...chunk('', 'stop'), choices: [{ index: 0, delta: {}, text: '', finish_reason: 'stop' }] })}\n\n`,
  );
  const usage = { prompt_tokens: 7, completion_tokens: words.length, total_tokens: 7 + words.length };
  if ((body.stream_options as { include_usage?: boolean } | undefined)?.include_usage) {
    res.write(
      `data: ${JSON.stringify({ id: 'c', object: 'chat.completion.chunk', created: 0, model: body.model, choices: [], usage })}\n\n`,
    );
  }
  res.end('data: [DONE]\n\n');
}

function responses(res: ServerResponse, body: Record<string, unknown>): void {
  const text = `echo: ${typeof body.input === 'string' ? body.input : JSON.stringify(body.input)}`;
  const response = {
    id: 'resp_test',
    object: 'response',
    created_at: 0,
    status: 'completed',
    model: body.model,
    output: [
      {
        type: 'message',
        id: 'msg_test',
        status: 'completed',
        role: 'assistant',
        content: [{ type: 'output_text', text, annotations: [] }],
      },
    ],
    usage: { input_tokens: 4, output_tokens: 2, total_tokens: 6 },
  };
  if (!body.stream) {
    send(res, 200, response);
    return;
  }
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const event = (type: string, data: Record<string, unknown>) =>
    res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  event('response.created', { response: { ...response, status: 'in_progress', output: [], usage: null } });
  event('response.output_text.delta', {
    item_id: 'msg_test',
    output_index: 0,
    content_index: 0,
    delta: text,
  });
  event('response.completed', { response });
  res.end();
}

function answer(path: string, body: Record<string, unknown>, res: ServerResponse, broken: boolean | 'stall') {
  if (path.endsWith('/responses')) return responses(res, body);
  const chat = path.endsWith('/chat/completions');
  if ((chat || path.endsWith('/completions')) && body.stream) return streamed(res, body, chat, broken);
  const text = `echo: ${lastContent(body)}`;
  if (chat) {
    return send(res, 200, {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: 0,
      model: body.model,
      choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: text } }],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
  }
  if (path.endsWith('/completions')) {
    return send(res, 200, {
      id: 'cmpl-test',
      object: 'text_completion',
      created: 0,
      model: body.model,
      choices: [{ index: 0, finish_reason: 'stop', text }],
      usage: { prompt_tokens: 5, completion_tokens: 3, total_tokens: 8 },
    });
  }
  if (path.endsWith('/embeddings')) {
    const input = (Array.isArray(body.input) ? body.input : [body.input]) as unknown[];
    return send(res, 200, {
      object: 'list',
      model: body.model,
      data: input.map((_, index) => ({ object: 'embedding', index, embedding: [index, 1, 0] })).reverse(),
      usage: { prompt_tokens: input.length * 2, total_tokens: input.length * 2 },
    });
  }
  send(res, 404, { error: { message: 'no such route' } });
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const requests: FakeOpenAI['requests'] = [];
  const fake: Pick<FakeOpenAI, 'fault' | 'script' | 'retryAfter' | 'delayMs' | 'hold' | 'respond'> = {
    fault: 'none',
    script: [],
    retryAfter: '1',
    delayMs: 0,
  };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => {
      raw += c.toString();
    });
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      requests.push({ path: req.url ?? '', body, headers: req.headers });
      const fault = fake.script.shift() ?? fake.fault;
      switch (fault) {
        case 'http500':
          return send(res, 500, { error: { message: 'internal failure' } });
        case 'http429':
          return send(res, 429, { error: { message: 'slow down' } }, { 'retry-after': fake.retryAfter });
        case 'http400':
          return send(res, 400, { error: { message: 'bad parameter' } });
        case 'http401':
          return send(res, 401, { error: { message: 'invalid api key' } });
        case 'hang':
          return;
        case 'drop':
          return req.socket.destroy();
        default: {
          const scripted = fake.respond?.(req.url ?? '', body);
          if (scripted && 'json' in scripted) return send(res, scripted.status ?? 200, scripted.json);
          if (scripted) {
            res.writeHead(200, { 'content-type': 'text/event-stream' });
            for (const event of scripted.events) res.write(`${event}\n\n`);
            return res.end();
          }
          const held = fake.hold?.(body);
          if (held !== undefined) {
            void held.then(() => answer(req.url ?? '', body, res, false));
            return;
          }
          if (fake.delayMs > 0) {
            setTimeout(() => answer(req.url ?? '', body, res, fault === 'broken-stream'), fake.delayMs);
            return;
          }
          return answer(
            req.url ?? '',
            body,
            res,
            fault === 'stall-stream' ? 'stall' : fault === 'broken-stream',
          );
        }
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return Object.assign(fake, {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  });
}
