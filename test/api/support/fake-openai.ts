/**
 * An OpenAI-compatible upstream on loopback for tests (we cannot call a paid provider here). It answers
 * /v1/chat/completions and /v1/embeddings normally, or fails on command.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'none' | 'http500' | 'http429' | 'http400' | 'http401' | 'hang' | 'drop';

export interface FakeOpenAI {
  readonly baseURL: string;
  /** Requests received, newest last. */
  readonly requests: { path: string; body: Record<string, unknown>; headers: IncomingMessage['headers'] }[];
  fault: Fault;
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

function answer(path: string, body: Record<string, unknown>, res: ServerResponse): void {
  if (path.endsWith('/chat/completions')) {
    const messages = body.messages as { content: string }[];
    send(res, 200, {
      id: 'chatcmpl-test',
      object: 'chat.completion',
      created: 0,
      model: body.model,
      choices: [
        {
          index: 0,
          finish_reason: 'stop',
          message: { role: 'assistant', content: `echo: ${messages.at(-1)?.content}` },
        },
      ],
      usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 },
    });
  } else if (path.endsWith('/embeddings')) {
    const input = body.input as string[];
    send(res, 200, {
      object: 'list',
      model: body.model,
      data: input.map((_, index) => ({ object: 'embedding', index, embedding: [index, 1, 0] })).reverse(),
      usage: { prompt_tokens: input.length * 2, total_tokens: input.length * 2 },
    });
  } else send(res, 404, { error: { message: 'no such route' } });
}

export async function startFakeOpenAI(): Promise<FakeOpenAI> {
  const requests: FakeOpenAI['requests'] = [];
  const fake = { fault: 'none' as Fault };
  const server: Server = createServer((req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => {
      raw += c.toString();
    });
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      requests.push({ path: req.url ?? '', body, headers: req.headers });
      switch (fake.fault) {
        case 'http500':
          return send(res, 500, { error: { message: 'internal failure' } });
        case 'http429':
          return send(res, 429, { error: { message: 'slow down' } }, { 'retry-after': '2' });
        case 'http400':
          return send(res, 400, { error: { message: 'bad parameter' } });
        case 'http401':
          return send(res, 401, { error: { message: 'invalid api key' } });
        case 'hang':
          return;
        case 'drop':
          return req.socket.destroy();
        default:
          return answer(req.url ?? '', body, res);
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
