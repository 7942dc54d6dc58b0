/**
 * Secrets never echoed: an upstream that echoes its request headers (the provider key the router sent) and
 * its own URL in every error (400, 429, 500, a stream broken before its first event), through a router in
 * this process whose log lines are kept. Neither the key nor the upstream's address may appear in an error
 * body (REST and /v1), the `attempts` of an answer a fallback served, a batch item's result, or a log line.
 */
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { loadConfig } from '../../../api/src/config.js';
import { type LocalMode, startLocalMode } from '../../../api/src/local-mode.js';
import { eventually } from '../../support/eventually.js';
import { untilFinished } from '../jobs/poll.js';
import { openaiModel } from './harness.js';

/** No known key shape: only the rule that knows the key the router sent can find it. */
const KEY = 'zq-Provider-Key-0042';

/** Answers by the model asked for (`upstream-<AIModel>`), echoing what it was sent wherever it can. */
function echoingUpstream(): Promise<{ server: Server; baseURL: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const auth = String(req.headers.authorization);
      seen.push(auth);
      const self = `http://${req.headers.host}${req.url}`;
      const model = String((JSON.parse(raw) as { model?: unknown }).model).replace(/^upstream-/, '');
      const echo = {
        message: `Request to ${self} with Authorization: ${auth} refused (key ${KEY})`,
        type: 'invalid_request_error',
        code: 'echo_test',
        param: 'messages',
        headers: req.headers,
        url: self,
      };
      const json = (status: number, body: unknown, headers: Record<string, string> = {}) => {
        res.writeHead(status, { 'content-type': 'application/json', ...headers });
        res.end(JSON.stringify(body));
      };
      if (model === 'rejects') return json(400, { error: echo });
      if (model === 'limited') return json(429, { error: echo }, { 'retry-after': '0' });
      if (model === 'fails' || model === 'down') return json(500, { error: `${auth} at ${self}` });
      if (model === 'breaks') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: {"echo": "${auth} ${self}"`);
        setTimeout(() => res.destroy(), 20);
        return;
      }
      if ((JSON.parse(raw) as { stream?: unknown }).stream === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const delta = { content: 'fine' };
        res.end(
          `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`,
        );
        return;
      }
      json(200, {
        id: 'x',
        object: 'chat.completion',
        created: 0,
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      });
    });
  });
  server.listen(0, '127.0.0.1');
  return once(server, 'listening').then(() => {
    const { port } = server.address() as AddressInfo;
    return { server, baseURL: `http://127.0.0.1:${port}/v1`, seen };
  });
}

describe('api/router: upstream error text is scrubbed of the provider key and the base URL', function () {
  this.timeout(60_000);
  let upstream: Awaited<ReturnType<typeof echoingUpstream>>;
  let local: LocalMode;
  let dir: string;
  let host: string;
  const logs: string[] = [];
  /** Every text a caller received, checked once more at the end. */
  const received: string[] = [];

  const call = async (path: string, body: unknown) => {
    const res = await fetch(`${local.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    received.push(text, JSON.stringify([...res.headers]));
    return { status: res.status, text, body: text.startsWith('{') ? JSON.parse(text) : text };
  };
  const get = async (path: string) => {
    const res = await fetch(`${local.url}${path}`);
    const text = await res.text();
    received.push(text);
    return { status: res.status, body: JSON.parse(text) };
  };
  const text = (model: string, extra: Record<string, unknown> = {}) =>
    call('/api/inference/text', { model_id: model, input: 'hello', ...extra });
  const chat = (model: string, extra: Record<string, unknown> = {}) =>
    call('/v1/chat/completions', { model, messages: [{ role: 'user', content: 'hello' }], ...extra });
  const clean = (what: string, value: unknown) => {
    const s = typeof value === 'string' ? value : JSON.stringify(value);
    expect(s, `${what} quotes the provider key`).to.not.include(KEY);
    expect(s, `${what} names the upstream's address`).to.not.include(host);
  };

  before(async () => {
    upstream = await echoingUpstream();
    host = new URL(upstream.baseURL).host;
    dir = await mkdtemp(join(tmpdir(), 'router-scrub-'));
    const models = [
      openaiModel('rejects', upstream.baseURL),
      openaiModel('limited', upstream.baseURL, '  fallbacks: [good]'),
      openaiModel('fails', upstream.baseURL, '  fallbacks: [good]'),
      openaiModel('breaks', upstream.baseURL, '  fallbacks: [good]'),
      openaiModel('down', upstream.baseURL),
      openaiModel('good', upstream.baseURL),
    ];
    await Promise.all(models.map((m, i) => writeFile(join(dir, `m${i}.yaml`), m)));
    const config = loadConfig({
      MODELS_DIR: dir,
      PORT: '0',
      ATTEMPT_TIMEOUT_MS: '2000',
      RETRY_BASE_DELAY_MS: '5',
      CIRCUIT_FAILURES: '1000',
      BATCH_ITEM_ATTEMPTS: '1',
    });
    const sink = new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    });
    local = await startLocalMode(config, pino({ level: 'trace' }, sink), { TEST_KEY: KEY });
    await eventually(
      async () => ((await fetch(`${local.url}/readyz`)).status === 200 ? true : undefined),
      'router ready',
    );
  });
  after(async () => {
    await local?.close();
    upstream?.server.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('the upstream really was sent the key and echoed it (else the rest proves nothing)', async () => {
    await text('rejects');
    expect(upstream.seen).to.include(`Bearer ${KEY}`);
  });

  it("a 400's REST error: message scrubbed, the upstream named by its model", async () => {
    const res = await text('rejects');
    expect(res.status).to.equal(400);
    expect(res.body.error.code).to.equal('rejected_by_model');
    expect(res.body.error.message).to.include('upstream of model rejects answered 400');
    expect(res.body.error.message).to.include('[redacted]');
    clean('the REST error', res.body);
  });

  it("a 400's /v1 error: the upstream's type, code and param kept, its message scrubbed, nothing else", async () => {
    const res = await chat('rejects');
    expect(res.status).to.equal(400);
    expect(res.body.error).to.include({
      type: 'invalid_request_error',
      code: 'echo_test',
      param: 'messages',
    });
    expect(res.text).to.not.include('"headers"');
    clean('the /v1 error', res.body);
  });

  for (const model of ['limited', 'fails', 'breaks']) {
    it(`a fallback answer after ${model}: its attempts say why without the key or address`, async () => {
      const res = await text(model, model === 'breaks' ? { stream: false } : {});
      expect(res.status).to.equal(200);
      expect(res.body.fallback_used).to.equal(true);
      const failed = res.body.attempts.filter((a: { outcome: string }) => a.outcome === 'failed');
      expect(failed.length).to.be.greaterThan(0);
      clean('attempts', res.body.attempts);
    });
  }

  it('a stream broken before its first event moves to the fallback, and says nothing it should not', async () => {
    const res = await chat('breaks', { stream: true });
    expect(res.status).to.equal(200);
    clean('the relayed stream', res.text);
  });

  it('every target failing: the 503 and its details.attempts, REST and /v1', async () => {
    const rest = await text('down');
    expect(rest.status).to.equal(503);
    expect(rest.body.error.details.attempts.length).to.be.greaterThan(0);
    clean('the REST 503', rest.body);
    const v1 = await chat('down');
    expect(v1.status).to.equal(503);
    clean('the /v1 503', v1.body);
  });

  it('batch item results, failed and served by a fallback', async () => {
    const accepted = await call('/api/inference/batch', {
      requests: [
        { type: 'text', custom_id: 'r', model_id: 'rejects', input: 'x' },
        { type: 'text', custom_id: 'd', model_id: 'down', input: 'x' },
        { type: 'chat', custom_id: 'f', model_id: 'fails', messages: [{ role: 'user', content: 'x' }] },
      ],
    });
    expect(accepted.status, accepted.text).to.equal(202);
    const job = await untilFinished(get, accepted.body.status_url);
    const byId = Object.fromEntries(job.results.map((r: { custom_id: string }) => [r.custom_id, r]));
    expect(byId.r.status).to.equal('failed');
    expect(byId.r.error.message).to.include('[redacted]');
    expect(byId.d.status).to.equal('failed');
    clean('batch results', job.results);
  });

  it('the metrics say which model failed and how, not where it lives', async () => {
    const metrics = await (await fetch(`${local.url}/metrics`)).text();
    expect(metrics).to.include('router_backend_failures_total{model="down"');
    clean('/metrics', metrics);
  });

  it("nothing a caller received, nor any log line, quotes the key or the upstream's address", () => {
    expect(
      logs.some((l) => l.includes('upstream of model')),
      'failures were logged',
    ).to.equal(true);
    for (const body of received) clean('a response', body);
    for (const line of logs) clean('a log line', line);
  });
});
