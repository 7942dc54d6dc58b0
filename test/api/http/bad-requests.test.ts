import { request } from 'node:http';
import { join } from 'node:path';
import { expect } from 'chai';
import { startTestRouter, type TestRouter } from '../support/app.js';
import { BODY_CASES } from './bad-requests/bodies.js';
import type { Case } from './bad-requests/case.js';
import { INFERENCE_CASES } from './bad-requests/inference.js';
import { JOB_CASES } from './bad-requests/jobs.js';
import { MODEL_AND_METRICS_CASES } from './bad-requests/models-and-metrics.js';
import { OPENAI_CASES } from './bad-requests/openai.js';

/** Every answer must be the one error shape with a 4xx status, never a 500 and never a crash. */
const CORPUS: Case[] = [
  ...BODY_CASES,
  ...INFERENCE_CASES,
  ...JOB_CASES,
  ...MODEL_AND_METRICS_CASES,
  ...OPENAI_CASES,
];

function send(
  url: string,
  c: Case,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}${c.path}`,
      {
        method: c.method,
        headers: { ...(c.body === undefined ? {} : { 'content-type': 'application/json' }), ...c.headers },
      },
      (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => {
          body += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(c.body);
  });
}

describe('api/http: a corpus of bad requests gets the one error shape with a 4xx', () => {
  let router: TestRouter;
  before(async () => {
    router = await startTestRouter(join(import.meta.dirname, '../../../examples'), {
      BATCH_MAX_ITEMS: '10',
      BATCH_MAX_BYTES: '65536',
      USAGE_RETENTION_DAYS: '30',
    });
  });
  after(() => router.close());

  for (const c of CORPUS) {
    it(`given ${c.what}, answers ${c.status} ${c.code}`, async () => {
      const res = await send(router.url, c);
      expect(res.status, res.body).to.equal(c.status);
      expect(res.headers['content-type']).to.match(/^application\/json/);
      expect(res.headers['x-request-id']).to.be.a('string').and.not.be.empty;
      const body = JSON.parse(res.body) as { error: { code: string; message: string } };
      expect(Object.keys(body)).to.deep.equal(['error']);
      expect(body.error.code).to.equal(c.code);
      expect(body.error.message).to.be.a('string').and.not.be.empty;
      if (c.message) expect(body.error.message + JSON.stringify(body.error)).to.include(c.message);
    });
  }

  it('echoes a safe caller request id and replaces an unsafe one', async () => {
    const safe = await send(router.url, {
      what: '',
      method: 'GET',
      path: '/healthz',
      headers: { 'x-request-id': 'abc-123' },
      status: 200,
      code: '',
    });
    expect(safe.headers['x-request-id']).to.equal('abc-123');
    const unsafe = await send(router.url, {
      what: '',
      method: 'GET',
      path: '/healthz',
      headers: { 'x-request-id': 'a b\tc' },
      status: 200,
      code: '',
    });
    expect(unsafe.headers['x-request-id']).to.match(/^[0-9a-f-]{36}$/);
  });
});
