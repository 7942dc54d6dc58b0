/**
 * The floor: the least a Node router can do per request here. node:http server, read the body,
 * JSON.parse it, pick the upstream by `model`, forward with a keep-alive client, pipe the answer back.
 * No framework, no validation beyond JSON.parse, no logging, no metrics.
 *
 * The brief asks for an undici Pool, but undici is not installed as a package here (only undici-types),
 * and package.json is not ours to change. So the client is either Node's global fetch (undici inside
 * Node, its default dispatcher: the same stack the openai SDK in the router uses) or node:http with a
 * keep-alive Agent; run.ts measures both so the floor is not an artefact of one client.
 * Run: node --import tsx bench/router/minimal-proxy.ts --upstream http://127.0.0.1:PORT [--client fetch|http]
 * It prints one JSON line `{"listening":PORT}` on stdout when ready.
 * @module
 */
import { Agent, createServer, type IncomingMessage, request, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export type ProxyClient = 'fetch' | 'http';

type Forward = (upstream: URL, req: IncomingMessage, body: Buffer, res: ServerResponse) => Promise<void>;

function fail(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code: 'proxy_error', message } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

const viaFetch: Forward = async (upstream, req, body, res) => {
  const answer = await fetch(new URL(req.url ?? '/', upstream), {
    method: req.method ?? 'POST',
    headers: {
      'content-type': req.headers['content-type'] ?? 'application/json',
      authorization: req.headers.authorization ?? '',
    },
    body,
  });
  res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
  // Chunk by chunk, so an SSE stream reaches the client as the upstream sends it.
  if (answer.body) for await (const part of answer.body) res.write(part);
  res.end();
};

function viaHttp(agent: Agent): Forward {
  return (upstream, req, body, res) =>
    new Promise((ok, no) => {
      const out = request(
        {
          agent,
          host: upstream.hostname,
          port: upstream.port,
          method: req.method,
          path: req.url,
          headers: {
            'content-type': req.headers['content-type'] ?? 'application/json',
            'content-length': body.length,
            authorization: req.headers.authorization ?? '',
          },
        },
        (answer) => {
          const type = answer.headers['content-type'] ?? 'application/json';
          res.writeHead(answer.statusCode ?? 502, { 'content-type': type });
          answer.pipe(res);
          answer.once('end', ok).once('error', no);
        },
      );
      out.once('error', no);
      out.end(body);
    });
}

/** `upstreams` maps a model name to its base URL; a request naming another model gets a 404. */
export function startMinimalProxy(
  upstreams: ReadonlyMap<string, string>,
  client: ProxyClient,
  port = 0,
): Promise<ReturnType<typeof createServer>> {
  const forward =
    client === 'fetch'
      ? viaFetch
      : viaHttp(new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 256 }));
  const bases = new Map([...upstreams].map(([model, base]) => [model, new URL(base)]));
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (c: Buffer) => parts.push(c));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      let model: unknown;
      try {
        model = (JSON.parse(body.toString('utf8')) as { model?: unknown }).model;
      } catch {
        fail(res, 400, 'body is not JSON');
        return;
      }
      const upstream = typeof model === 'string' ? bases.get(model) : undefined;
      if (!upstream) {
        fail(res, 404, `unknown model ${String(model)}`);
        return;
      }
      forward(upstream, req, body, res).catch((err: unknown) => fail(res, 502, String(err)));
    });
  });
  server.keepAliveTimeout = 60_000;
  return new Promise((ok, no) => {
    server.once('error', no).listen(port, '127.0.0.1', () => ok(server));
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values } = parseArgs({
    options: {
      upstream: { type: 'string' },
      client: { type: 'string', default: 'fetch' },
      port: { type: 'string', default: '0' },
    },
  });
  if (!values.upstream || (values.client !== 'fetch' && values.client !== 'http')) {
    throw new Error('usage: minimal-proxy.ts --upstream http://127.0.0.1:PORT [--client fetch|http]');
  }
  // The request path goes upstream unchanged, so --upstream is the mock's origin (no /v1).
  const server = await startMinimalProxy(
    new Map([['bench', values.upstream]]),
    values.client,
    Number(values.port),
  );
  process.stdout.write(`${JSON.stringify({ listening: (server.address() as AddressInfo).port })}\n`);
}
