import { request } from 'node:http';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { startTestRouter, type TestRouter } from '../support/app.js';

interface Case {
  what: string;
  method: string;
  path: string;
  body?: string | Buffer;
  headers?: Record<string, string>;
  status: number;
  code: string;
  message?: string;
}

const json = (value: unknown) => JSON.stringify(value);
const big = 'x'.repeat(200_000);

/** Every answer must be the one error shape with a 4xx status, never a 500 and never a crash. */
const CORPUS: Case[] = [
  {
    what: 'malformed JSON',
    method: 'POST',
    path: '/api/inference/text',
    body: '{"model_id": "sentiment",',
    status: 400,
    code: 'malformed_json',
  },
  {
    what: 'JSON that is a string',
    method: 'POST',
    path: '/api/inference/text',
    body: '"hello"',
    status: 400,
    code: 'malformed_json',
  },
  {
    what: 'an array body',
    method: 'POST',
    path: '/api/inference/text',
    body: '[1,2]',
    status: 400,
    code: 'invalid_request',
  },
  {
    what: 'no body',
    method: 'POST',
    path: '/api/inference/text',
    status: 400,
    code: 'invalid_request',
    message: 'body is required',
  },
  {
    what: 'form data',
    method: 'POST',
    path: '/api/inference/text',
    body: 'model_id=x',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    what: 'text/plain',
    method: 'POST',
    path: '/api/inference/analyze',
    body: 'hi',
    headers: { 'content-type': 'text/plain' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    what: 'a body over the limit',
    method: 'POST',
    path: '/api/inference/text',
    body: json({ model_id: 'story-writer', input: big.repeat(6) }),
    status: 413,
    code: 'payload_too_large',
  },
  {
    what: 'missing model_id',
    method: 'POST',
    path: '/api/inference/text',
    body: json({ input: 'hi' }),
    status: 400,
    code: 'invalid_request',
    message: 'body.model_id',
  },
  {
    what: 'empty input',
    method: 'POST',
    path: '/api/inference/text',
    body: json({ model_id: 'story-writer', input: '   ' }),
    status: 400,
    code: 'invalid_request',
    message: 'input must not be empty',
  },
  {
    what: 'input of the wrong type',
    method: 'POST',
    path: '/api/inference/text',
    body: json({ model_id: 'story-writer', input: 42 }),
    status: 400,
    code: 'invalid_request',
    message: 'body.input',
  },
  {
    what: 'an unknown top-level field',
    method: 'POST',
    path: '/api/inference/text',
    body: json({ model_id: 'story-writer', input: 'hi', temprature: 1 }),
    status: 400,
    code: 'invalid_request',
    message: 'unknown field: temprature',
  },
  {
    what: 'an unknown parameter',
    method: 'POST',
    path: '/api/inference/text',
    body: json({ model_id: 'story-writer', input: 'hi', parameters: { max_token: 5 } }),
    status: 400,
    code: 'invalid_request',
    message: 'max_token',
  },
  {
    what: 'temperature out of range',
    method: 'POST',
    path: '/api/inference/text',
    body: json({ model_id: 'story-writer', input: 'hi', parameters: { temperature: 7 } }),
    status: 400,
    code: 'invalid_request',
    message: 'parameters.temperature',
  },
  {
    what: 'fractional max_tokens',
    method: 'POST',
    path: '/api/inference/text',
    body: json({ model_id: 'story-writer', input: 'hi', parameters: { max_tokens: 2.5 } }),
    status: 400,
    code: 'invalid_request',
    message: 'max_tokens',
  },
  {
    what: 'too many stop strings',
    method: 'POST',
    path: '/api/inference/text',
    body: json({ model_id: 'story-writer', input: 'hi', parameters: { stop: ['a', 'b', 'c', 'd', 'e'] } }),
    status: 400,
    code: 'invalid_request',
    message: 'stop',
  },
  {
    what: 'use_fallbacks as a string',
    method: 'POST',
    path: '/api/inference/text',
    body: json({ model_id: 'story-writer', input: 'hi', use_fallbacks: 'yes' }),
    status: 400,
    code: 'invalid_request',
    message: 'use_fallbacks',
  },
  {
    what: 'an uppercase model id',
    method: 'POST',
    path: '/api/inference/text',
    body: json({ model_id: 'Story', input: 'hi' }),
    status: 400,
    code: 'invalid_request',
    message: 'model_id',
  },
  {
    what: 'an unknown model',
    method: 'POST',
    path: '/api/inference/text',
    body: json({ model_id: 'no-such-model', input: 'hi' }),
    status: 404,
    code: 'model_not_found',
  },
  {
    what: 'an unknown version',
    method: 'POST',
    path: '/api/inference/text',
    body: json({ model_id: 'story-writer', version: 'v9', input: 'hi' }),
    status: 404,
    code: 'version_not_found',
    message: 'v2, v1',
  },
  {
    what: 'a task the model cannot do',
    method: 'POST',
    path: '/api/inference/analyze',
    body: json({ model_id: 'story-writer', task: 'classify', input: 'hi' }),
    status: 400,
    code: 'unsupported_task',
  },
  {
    what: 'text with a classifier',
    method: 'POST',
    path: '/api/inference/text',
    body: json({ model_id: 'sentiment', input: 'hi' }),
    status: 400,
    code: 'unsupported_task',
  },
  {
    what: 'tokens from an external model',
    method: 'POST',
    path: '/api/inference/analyze',
    body: json({ model_id: 'gpt-4o-mini', task: 'tokens', input: 'hi' }),
    status: 400,
    code: 'unsupported_task',
  },
  {
    what: 'an unknown analyze task',
    method: 'POST',
    path: '/api/inference/analyze',
    body: json({ model_id: 'sentiment', task: 'summarize', input: 'hi' }),
    status: 400,
    code: 'invalid_request',
    message: 'task',
  },
  {
    what: 'too many analyze inputs',
    method: 'POST',
    path: '/api/inference/analyze',
    body: json({ model_id: 'sentiment', task: 'classify', input: Array(65).fill('a') }),
    status: 400,
    code: 'invalid_request',
  },
  {
    what: 'an empty text in a list',
    method: 'POST',
    path: '/api/inference/analyze',
    body: json({ model_id: 'sentiment', task: 'classify', input: ['ok', ''] }),
    status: 400,
    code: 'invalid_request',
    message: 'input.1',
  },
  {
    what: 'an empty batch',
    method: 'POST',
    path: '/api/inference/batch',
    body: json({ requests: [] }),
    status: 400,
    code: 'invalid_request',
    message: 'at least one',
  },
  {
    what: 'a batch item without type',
    method: 'POST',
    path: '/api/inference/batch',
    body: json({ requests: [{ model_id: 'sentiment', input: 'x' }] }),
    status: 400,
    code: 'invalid_request',
    message: 'requests.0',
  },
  {
    what: 'a batch over the item limit',
    method: 'POST',
    path: '/api/inference/batch',
    body: json({ requests: Array(11).fill({ type: 'text', model_id: 'story-writer', input: 'x' }) }),
    status: 413,
    code: 'payload_too_large',
    message: 'at most 10',
  },
  {
    what: 'an unknown batch priority',
    method: 'POST',
    path: '/api/inference/batch',
    body: json({ requests: [{ type: 'text', model_id: 'story-writer', input: 'x' }], priority: 'urgent' }),
    status: 400,
    code: 'invalid_request',
    message: 'body.priority',
  },
  {
    what: 'a bad batch item, named by its index',
    method: 'POST',
    path: '/api/inference/batch',
    body: json({
      requests: [
        { type: 'text', model_id: 'story-writer', input: 'fine' },
        { type: 'analyze', model_id: 'sentiment', task: 'classify', input: 'fine' },
        { type: 'text', model_id: 'story-writer', input: ' ' },
      ],
    }),
    status: 400,
    code: 'invalid_request',
    message: 'body.requests.2.input',
  },
  {
    what: 'a chat item with an unknown role',
    method: 'POST',
    path: '/api/inference/batch',
    body: json({
      requests: [{ type: 'chat', model_id: 'story-writer', messages: [{ role: 'wizard', content: 'hi' }] }],
    }),
    status: 400,
    code: 'invalid_request',
    message: 'body.requests.0.messages.0.role',
  },
  {
    what: 'a batch body over BATCH_MAX_BYTES',
    method: 'POST',
    path: '/api/inference/batch',
    body: json({ requests: [{ type: 'text', model_id: 'story-writer', input: big.slice(0, 90_000) }] }),
    status: 413,
    code: 'payload_too_large',
  },
  {
    what: 'an idempotency key with a space',
    method: 'POST',
    path: '/api/inference/batch',
    body: json({ requests: [{ type: 'text', model_id: 'story-writer', input: 'x' }] }),
    headers: { 'idempotency-key': 'a b' },
    status: 400,
    code: 'invalid_request',
    message: 'idempotency-key',
  },
  {
    what: 'async together with stream',
    method: 'POST',
    path: '/api/inference/text',
    body: json({ model_id: 'story-writer', input: 'hi', async: true, stream: true }),
    status: 400,
    code: 'invalid_request',
    message: 'body.async',
  },
  {
    what: 'a page over 1000 results',
    method: 'GET',
    path: '/api/inference/jobs/job_x?limit=5000',
    status: 400,
    code: 'invalid_request',
    message: 'query.limit',
  },
  {
    what: 'cancelling an unknown job',
    method: 'POST',
    path: '/api/inference/jobs/job_nope/cancel',
    status: 404,
    code: 'job_not_found',
  },
  {
    what: 'an unknown job',
    method: 'GET',
    path: '/api/inference/jobs/job_nope',
    status: 404,
    code: 'job_not_found',
  },
  {
    what: 'a negative page offset',
    method: 'GET',
    path: '/api/inference/jobs/job_x?offset=-1',
    status: 400,
    code: 'invalid_request',
    message: 'query.offset',
  },
  {
    what: 'an unknown model (details)',
    method: 'GET',
    path: '/api/models/nope',
    status: 404,
    code: 'model_not_found',
  },
  {
    what: 'an unknown model (versions)',
    method: 'GET',
    path: '/api/models/nope/versions',
    status: 404,
    code: 'model_not_found',
  },
  {
    what: 'a bad metrics period',
    method: 'GET',
    path: '/api/models/sentiment/metrics?period=weekly',
    status: 400,
    code: 'invalid_request',
    message: 'query.period',
  },
  {
    what: 'an unknown query parameter',
    method: 'GET',
    path: '/api/metrics/usage?periode=daily',
    status: 400,
    code: 'invalid_request',
    message: 'periode',
  },
  {
    what: 'a bad date',
    method: 'GET',
    path: '/api/metrics/cost?from=yesterday',
    status: 400,
    code: 'invalid_request',
    message: 'query.from',
  },
  {
    what: 'from after to',
    method: 'GET',
    path: '/api/metrics/usage?from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    status: 400,
    code: 'invalid_request',
    message: 'before',
  },
  {
    what: 'a window beyond retention',
    method: 'GET',
    path: '/api/metrics/usage?from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z',
    status: 400,
    code: 'invalid_request',
    message: 'at most',
  },
  {
    what: 'a download of an external model',
    method: 'POST',
    path: '/api/models/download',
    body: json({ model_id: 'gpt-4o-mini' }),
    status: 409,
    code: 'no_artifact',
  },
  {
    what: 'a download of an unknown version',
    method: 'POST',
    path: '/api/models/download',
    body: json({ model_id: 'sentiment', version: 'v7' }),
    status: 404,
    code: 'version_not_found',
  },
  {
    what: 'a download that would wait too long',
    method: 'POST',
    path: '/api/models/download',
    body: json({ model_id: 'sentiment', wait_seconds: 3600 }),
    status: 400,
    code: 'invalid_request',
  },
  {
    what: 'a download with a wait that is not a number',
    method: 'POST',
    path: '/api/models/download',
    body: json({ model_id: 'sentiment', wait_seconds: 'soon' }),
    status: 400,
    code: 'invalid_request',
  },
  {
    what: 'the download status of an unknown model',
    method: 'GET',
    path: '/api/models/nope/download',
    status: 404,
    code: 'model_not_found',
  },
  {
    what: 'the download status with a negative wait',
    method: 'GET',
    path: '/api/models/sentiment/download?wait_seconds=-1',
    status: 400,
    code: 'invalid_request',
  },
  {
    what: 'the download status of an external model',
    method: 'GET',
    path: '/api/models/gpt-4o-mini/download',
    status: 409,
    code: 'no_artifact',
  },
  { what: 'a wrong method', method: 'PUT', path: '/api/models', status: 405, code: 'method_not_allowed' },
  // The inference routes are served on the lean path (http/hot-routes.ts): the same answers as Express's.
  {
    what: 'a body over the limit sent in chunks (no content-length)',
    method: 'POST',
    path: '/v1/chat/completions',
    body: json({ model: 'story-writer', messages: [{ role: 'user', content: big.repeat(6) }] }),
    headers: { 'transfer-encoding': 'chunked' },
    status: 413,
    code: 'payload_too_large',
  },
  {
    what: 'a chat completion without a body',
    method: 'POST',
    path: '/v1/chat/completions',
    status: 400,
    code: 'invalid_request',
  },
  {
    what: 'an empty chunked body',
    method: 'POST',
    path: '/v1/embeddings',
    body: '',
    headers: { 'transfer-encoding': 'chunked' },
    status: 400,
    code: 'invalid_request',
  },
  {
    what: 'JSON in a charset other than UTF-8',
    method: 'POST',
    path: '/v1/completions',
    body: json({ model: 'story-writer', prompt: 'hi' }),
    headers: { 'content-type': 'application/json; charset=latin1' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    what: 'an unknown content-encoding',
    method: 'POST',
    path: '/api/inference/analyze',
    body: json({ model_id: 'sentiment', input: 'hi', task: 'classify' }),
    headers: { 'content-encoding': 'zstd' },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    what: 'a gzip body that does not inflate',
    method: 'POST',
    path: '/api/inference/text',
    body: 'not gzip at all',
    headers: { 'content-encoding': 'gzip' },
    status: 400,
    code: 'malformed_json',
  },
  {
    // Inflated and parsed: the schema then names the problem (proves the body was read through gzip).
    what: 'a gzip body with an invalid request',
    method: 'POST',
    path: '/api/inference/text',
    body: gzipSync(json({ model_id: 'story-writer', input: '' })),
    headers: { 'content-encoding': 'gzip' },
    status: 400,
    code: 'invalid_request',
    message: 'body.input',
  },
  {
    what: 'a GET on an inference route',
    method: 'GET',
    path: '/v1/chat/completions',
    status: 405,
    code: 'method_not_allowed',
  },
  { what: 'an unknown route', method: 'GET', path: '/api/modelz', status: 404, code: 'not_found' },
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
