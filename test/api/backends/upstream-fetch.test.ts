/**
 * The fetch the openai SDK uses for upstreams, against a real loopback server: standard Responses, pooled
 * keep-alive connections, aborts, dropped connections, event streams handed over as they arrive, and the
 * time on the wire recorded in the caller's clock.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { expect } from 'chai';
import type { UpstreamClock } from '../../../api/src/backends/backend.js';
import { createUpstreamFetch, type UpstreamFetch } from '../../../api/src/backends/upstream-fetch.js';

describe('api/backends: the upstream fetch (node:http keep-alive)', () => {
  let server: Server;
  let base: string;
  let upstream: UpstreamFetch;
  const sockets = new Set<Socket>();
  let connections = 0;

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => {
        body += c.toString();
      });
      req.on('end', () => {
        const path = req.url ?? '/';
        if (path === '/echo') {
          res.writeHead(200, { 'content-type': 'application/json', 'x-upstream': 'yes' });
          res.end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization }));
        } else if (path === '/slow') {
          setTimeout(() => res.end('{"late":true}'), 120);
        } else if (path === '/hang') {
          // never answers
        } else if (path === '/drop') {
          req.socket.destroy();
        } else if (path === '/empty') {
          res.writeHead(204).end();
        } else if (path === '/events') {
          res.writeHead(200, { 'content-type': 'text/event-stream' });
          res.write('data: one\n\n');
          setTimeout(() => res.end('data: two\n\n'), 150);
        } else res.writeHead(404).end('{"error":"nope"}');
      });
    });
    server.on('connection', (s: Socket) => {
      connections++;
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    upstream = createUpstreamFetch();
  });
  after(async () => {
    upstream.close();
    for (const s of sockets) s.destroy();
    await new Promise((ok) => server.close(ok));
  });

  it('sends method, headers and body and answers with a standard Response, reusing one connection', async () => {
    const before = connections;
    for (let i = 0; i < 5; i++) {
      const res = await upstream.fetch(`${base}/echo`, {
        method: 'POST',
        headers: new Headers({ authorization: 'Bearer k', 'content-type': 'application/json' }),
        body: JSON.stringify({ i }),
      });
      expect(res).to.be.instanceOf(Response);
      expect(res.status).to.equal(200);
      expect(res.headers.get('x-upstream')).to.equal('yes');
      expect(await res.json()).to.deep.equal({ method: 'POST', body: `{"i":${i}}`, auth: 'Bearer k' });
    }
    expect(connections - before).to.equal(1);
  });

  it('gives a whole answer the standard body semantics: one read, as text, bytes or a stream', async () => {
    const once = await upstream.fetch(`${base}/echo`, { method: 'PUT', body: 'x' });
    expect(once.bodyUsed).to.equal(false);
    expect(JSON.parse(await once.text())).to.include({ method: 'PUT', body: 'x' });
    expect(once.bodyUsed).to.equal(true);
    const again = await once.json().catch((e: Error) => e);
    expect(again).to.be.instanceOf(TypeError);
    const streamed = await upstream.fetch(`${base}/echo`);
    const copy = streamed.clone();
    const bytes = await new Response(streamed.body).text();
    expect(JSON.parse(bytes)).to.include({ method: 'GET' });
    expect(new Uint8Array(await copy.arrayBuffer())).to.deep.equal(new TextEncoder().encode(bytes));
  });

  it('records the time on the wire in the caller clock', async () => {
    const clock: UpstreamClock = { ms: 0, measured: false };
    const res = await upstream.fetch(`${base}/slow`, { method: 'GET', upstreamClock: clock });
    expect(await res.json()).to.deep.equal({ late: true });
    expect(clock.measured).to.equal(true);
    expect(clock.ms).to.be.at.least(115).and.below(1000);
  });

  it('passes error statuses through and gives 204 a null body', async () => {
    const missing = await upstream.fetch(`${base}/nothing`);
    expect(missing.status).to.equal(404);
    expect(missing.ok).to.equal(false);
    expect(await missing.text()).to.equal('{"error":"nope"}');
    const empty = await upstream.fetch(`${base}/empty`, { method: 'DELETE' });
    expect(empty.status).to.equal(204);
    expect(empty.body).to.equal(null);
  });

  it('rejects with an AbortError when the signal aborts mid-request, and at once when already aborted', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await upstream.fetch(`${base}/hang`, { signal: controller.signal }).then(
      () => expect.fail('resolved'),
      (e: Error) => e,
    );
    expect(err.name).to.equal('AbortError');
    const early = await upstream
      .fetch(`${base}/echo`, { signal: AbortSignal.abort() })
      .catch((e: Error) => e);
    expect((early as Error).name).to.equal('AbortError');
  });

  it('rejects like fetch (TypeError with the cause) on a dropped connection and on a refused one', async () => {
    const dropped = await upstream.fetch(`${base}/drop`, { method: 'POST', body: '{}' }).catch((e) => e);
    expect(dropped).to.be.instanceOf(TypeError);
    expect((dropped as TypeError).cause).to.be.instanceOf(Error);
    const refused = await upstream.fetch('http://127.0.0.1:1/v1/x').catch((e) => e);
    expect(refused).to.be.instanceOf(TypeError);
    expect(String((refused as TypeError).cause)).to.include('ECONNREFUSED');
  });

  it('hands an event stream over before it ends', async () => {
    const started = performance.now();
    const res = await upstream.fetch(`${base}/events`);
    expect(performance.now() - started).to.be.below(120);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const decoder = new TextDecoder();
    let text = '';
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      text += decoder.decode(value);
    }
    expect(text).to.equal('data: one\n\ndata: two\n\n');
  });
});
