/**
 * The caller's key and rate limit are checked before any body byte is read, on both serving paths: a
 * request with a body announced but never sent is still refused at once.
 */
import { request } from 'node:http';
import { join } from 'node:path';
import { expect } from 'chai';
import { startTestRouter, type TestRouter } from '../support/app.js';

const KEY = 'sk-router-search-0123456789';
const TIGHT_KEY = 'sk-router-tight-0123456789';

/** Sends the headers and the first bytes of a body of `length` bytes, never the rest; the answer or a timeout. */
function announce(
  url: string,
  path: string,
  length: number,
  headers: Record<string, string>,
): Promise<{ status: number; code: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(length), ...headers },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(new Error(`${path}: no answer within 2 s: the router is waiting for the body`));
    }, 2000);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on('end', () => {
        clearTimeout(timer);
        req.destroy();
        resolve({ status: res.statusCode ?? 0, code: JSON.parse(text).error?.code });
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    req.write('{"requests": [');
  });
}

describe('api/http: keys and rate limits are checked before the body is read', () => {
  let router: TestRouter;
  before(async () => {
    router = await startTestRouter(join(import.meta.dirname, '../../../examples'), {
      ROUTER_API_KEYS: `search-team:${KEY},tight:${TIGHT_KEY}`,
      ROUTER_RATE_LIMITS: 'tight=1',
    });
  });
  after(() => router.close());

  const routes: [string, number][] = [
    ['/api/inference/batch', 15_000_000], // Express, its own 16 MiB limit
    ['/api/models/download', 500_000], // Express
    ['/api/inference/text', 500_000], // the lean path
  ];
  for (const [path, length] of routes) {
    it(`given a wrong key on ${path} and a ${length}-byte body never sent, answers 401 at once`, async () => {
      const res = await announce(router.url, path, length, {
        authorization: 'Bearer sk-router-guess-00000000',
      });
      expect(res).to.deep.equal({ status: 401, code: 'unauthorized' });
    });
  }

  it('given no key and a body that is not JSON, answers 401 (not 415): the key comes first', async () => {
    const res = await announce(router.url, '/api/inference/batch', 100, { 'content-type': 'text/plain' });
    expect(res).to.deep.equal({ status: 401, code: 'unauthorized' });
  });

  it('given a caller past its rate limit and a 15 MB batch never sent, answers 429 at once', async () => {
    const first = await fetch(`${router.url}/api/models`, { headers: { 'x-api-key': TIGHT_KEY } });
    expect(first.status).to.equal(200);
    const res = await announce(router.url, '/api/inference/batch', 15_000_000, { 'x-api-key': TIGHT_KEY });
    expect(res).to.deep.equal({ status: 429, code: 'rate_limited' });
  });
});
