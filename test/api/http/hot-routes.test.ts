import { once } from 'node:events';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { pino } from 'pino';
import { z } from 'zod';
import { hotRoutes } from '../../../api/src/http/hot-routes.js';
import { route } from '../../../api/src/http/route.js';
import { createMetrics } from '../../../api/src/metrics/registry.js';

const LIMIT = 1 << 20;
const BOMB = 256 << 20;

/** A lean-path router with one hot route that echoes its body, in this process (so its CPU is ours). */
async function startHot(): Promise<{ url: string; server: Server }> {
  const echo = route({
    method: 'post',
    path: '/echo',
    hot: true,
    summary: 'echo',
    tag: 'test',
    scope: 'inference',
    body: z.looseObject({}),
    responses: { 200: { description: 'the body' } },
    handler: async ({ body }) => ({ body }),
  });
  const hot = hotRoutes({
    routes: [echo],
    logger: pino({ level: 'silent' }),
    metrics: createMetrics({ defaultMetrics: false }),
    maxBodyBytes: LIMIT,
    callerKeys: new Map(),
  });
  const server = createServer((req, res) => {
    if (!hot(req, res)) res.writeHead(404).end();
  }).listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

function post(url: string, body: Buffer, encoding: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/echo`,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding } },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Starts the lean-path router before a suite's tests and closes it after them. */
function servedHot(): { url: string; server: Server } {
  const router = {} as { url: string; server: Server };
  before(async () => {
    Object.assign(router, await startHot());
  });
  after(() => {
    router.server.closeAllConnections();
    router.server.close();
  });
  return router;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('api/http/hot-routes: a compressed body is inflated only up to the limit', () => {
  const router = servedHot();

  // Bombs: a few hundred KB that inflate to 256 MiB of zeros (about 0.7 s of CPU to inflate in full). The
  // gzip one is 256 members of 1 MiB each, which gunzip reads as one body (and builds in milliseconds).
  const bombs: Array<[string, () => Buffer]> = [
    ['br', () => brotliCompressSync(Buffer.alloc(BOMB), { params: { [constants.BROTLI_PARAM_QUALITY]: 1 } })],
    ['gzip', () => Buffer.concat(Array(BOMB >> 20).fill(gzipSync(Buffer.alloc(1 << 20), { level: 9 })))],
  ];
  for (const [encoding, build] of bombs) {
    it(`given a ${encoding} body that inflates to 256 MiB, answers 413 and stops inflating at the limit`, async () => {
      const bomb = build();
      expect(bomb.length).to.be.below(LIMIT);
      const before = process.cpuUsage();
      const res = await post(router.url, bomb, encoding);
      expect(res.status, res.body).to.equal(413);
      expect(JSON.parse(res.body)).to.have.nested.property('error.code', 'payload_too_large');
      // A decompressor left running would go on inflating the rest of the bomb on the router's CPU now.
      await sleep(300);
      const used = process.cpuUsage(before);
      const cpuMs = (used.user + used.system) / 1000;
      expect(cpuMs, `router CPU after the 413: ${cpuMs.toFixed(0)} ms`).to.be.below(150);
    });
  }

  it('still inflates a compressed body within the limit', async () => {
    const res = await post(router.url, gzipSync(JSON.stringify({ hello: 'world' })), 'gzip');
    expect(res.status, res.body).to.equal(200);
    expect(JSON.parse(res.body)).to.deep.equal({ hello: 'world' });
  });
});

describe('api/http/hot-routes: the path', () => {
  const router = servedHot();

  // Express routes ignore a trailing slash, so a hot path must too: Express knew the path only from the 405
  // table and answered "POST is not allowed on /v1/chat/completions/; use POST".
  for (const path of ['/echo', '/echo/', '/echo/?x=1', '/echo?x=1']) {
    it(`serves POST ${path}`, async () => {
      const res = await fetch(`${router.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"a":1}',
      });
      expect([res.status, await res.text()]).to.deep.equal([200, '{"a":1}']);
    });
  }
});
