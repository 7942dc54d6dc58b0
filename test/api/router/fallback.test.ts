/**
 * Fallback chains, retries, deadlines and circuit breakers, end to end through the router's HTTP API
 * against loopback OpenAI-compatible upstreams that fail on command.
 */
import { expect } from 'chai';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { openaiModel, startRouter, type TestRouter } from './harness.js';

describe('api/router: fallback chains, retries and circuit breakers', function () {
  this.timeout(60_000);
  let a: FakeOpenAI;
  let b: FakeOpenAI;
  let router: TestRouter;

  const ask = (model = 'alpha', extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) =>
    router.post(
      '/api/inference/text',
      { model_id: model, input: 'hello there', parameters: { temperature: 0.5 }, ...extra },
      headers,
    );

  before(async () => {
    [a, b] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
    router = await startRouter(
      [
        openaiModel('alpha', a.baseURL, '  fallbacks: [beta]'),
        openaiModel('beta', b.baseURL),
        openaiModel('gamma', a.baseURL),
      ],
      { CIRCUIT_FAILURES: '3', CIRCUIT_COOLDOWN_MS: '400', RETRY_MAX_AFTER_MS: '2000' },
    );
  });
  after(async () => {
    await router?.close();
    await Promise.all([a?.close(), b?.close()]);
  });
  beforeEach(async () => {
    for (const u of [a, b]) {
      u.fault = 'none';
      u.script.length = 0;
      u.retryAfter = '1';
      u.delayMs = 0;
    }
    // Let any open circuit cool down and close again.
    await new Promise((r) => setTimeout(r, 450));
    await ask('gamma');
  });

  it('serves from the fallback when the first model keeps failing with 5xx, after one retry, and says so', async () => {
    a.fault = 'http500';
    const res = await ask();
    expect(res.status).to.equal(200);
    expect(res.body).to.include({
      model_id: 'beta',
      requested_model_id: 'alpha',
      fallback_used: true,
      output: 'echo: hello there',
    });
    expect(res.body.attempts.map((x: any) => `${x.model}:${x.outcome}:${x.try ?? 1}`)).to.deep.equal([
      'alpha:failed:1',
      'alpha:failed:2',
      'beta:succeeded:1',
    ]);
    expect(res.headers.get('x-fallback-used')).to.equal('true');
    expect(res.headers.get('x-model-id')).to.equal('beta');
    expect(res.headers.get('x-router-attempts')).to.equal('3');
    expect(Number(res.headers.get('x-router-overhead-ms'))).to.be.at.least(0);
  });

  it('reports its own overhead apart from the time spent waiting on the upstream', async () => {
    a.delayMs = 150;
    const count = await router.metric('router_overhead_seconds_count');
    const started = performance.now();
    const res = await ask('gamma');
    const total = performance.now() - started;
    expect(res.status).to.equal(200);
    const overhead = Number(res.headers.get('x-router-overhead-ms'));
    // The 150 ms the upstream sat on the request are not the router's; the rest of the round trip is.
    expect(total).to.be.at.least(150);
    expect(overhead).to.be.at.least(0).and.below(50);
    expect(await router.metric('router_overhead_seconds_count')).to.equal(count + 1);
  });

  it('never falls back on a 4xx caused by the request', async () => {
    a.fault = 'http400';
    const before = b.requests.length;
    const res = await ask();
    expect(res.status).to.equal(400);
    expect(res.body.error.code).to.equal('rejected_by_model');
    expect(b.requests.length).to.equal(before);
  });

  it('retries after the Retry-After of a 429 and is served by the same model', async () => {
    a.script.push('http429');
    a.retryAfter = '1';
    const started = Date.now();
    const res = await ask();
    expect(res.body).to.include({ model_id: 'alpha', fallback_used: false });
    expect(Date.now() - started).to.be.at.least(950);
    expect(res.body.attempts.map((x: any) => `${x.outcome}:${x.kind ?? ''}`)).to.deep.equal([
      'failed:overloaded',
      'succeeded:',
    ]);
  });

  it('moves on at once when Retry-After is longer than the router will wait', async () => {
    a.fault = 'http429';
    a.retryAfter = '30';
    const started = Date.now();
    const res = await ask();
    expect(res.body.model_id).to.equal('beta');
    expect(Date.now() - started).to.be.lessThan(1000);
  });

  it('gives up on a target that hangs at the attempt timeout and falls back within the deadline', async () => {
    a.fault = 'hang';
    const started = Date.now();
    const res = await ask();
    expect(res.body.model_id).to.equal('beta');
    expect(res.body.attempts.filter((x: any) => x.kind === 'timeout')).to.not.be.empty;
    expect(Date.now() - started).to.be.lessThan(2500);
  });

  it("honours the caller's x-router-timeout-ms as the deadline of the whole chain", async () => {
    a.fault = 'hang';
    const calls = b.requests.length;
    // Shorter than the attempt timeout (500 ms here): the deadline passes on the first target.
    const res = await ask('alpha', {}, { 'x-router-timeout-ms': '200' });
    expect(res.status).to.equal(504);
    expect(res.body.error.code).to.equal('upstream_timeout');
    expect(b.requests.length).to.equal(calls);
    // Without it the configured deadline leaves room for the fallback.
    expect((await ask()).body.model_id).to.equal('beta');
    for (const bad of ['0', '-5', '1.5', 'soon', '99999999']) {
      const refused = await ask('beta', {}, { 'x-router-timeout-ms': bad });
      expect(refused.status, bad).to.equal(400);
      expect(refused.body.error.details.problems[0].path).to.equal('headers.x-router-timeout-ms');
    }
  });

  it('falls back after dropped connections', async () => {
    a.fault = 'drop';
    const res = await ask();
    expect(res.body.model_id).to.equal('beta');
    expect(res.body.attempts[0]).to.include({ model: 'alpha', kind: 'unavailable' });
  });

  it('answers 504 when every target times out, and 503 with every attempt when all fail', async () => {
    a.fault = 'hang';
    b.fault = 'hang';
    const timedOut = await ask('alpha', {}, {});
    expect(timedOut.status).to.equal(504);
    expect(timedOut.body.error.code).to.equal('upstream_timeout');
    a.fault = 'http500';
    b.fault = 'http500';
    const failed = await ask();
    expect(failed.status).to.equal(503);
    expect(failed.body.error.code).to.equal('model_unavailable');
    expect(failed.body.error.details.attempts.map((x: any) => x.model)).to.include.members(['alpha', 'beta']);
    expect(failed.headers.get('retry-after')).to.equal('1');
  });

  it('opens the circuit of a failing upstream: later requests skip it without sending, until a probe succeeds', async () => {
    a.fault = 'http500';
    // Two requests = four failed attempts on alpha's upstream: past the threshold of 3.
    await ask();
    await ask();
    const sent = a.requests.length;
    const skipped = await ask();
    expect(skipped.body.model_id).to.equal('beta');
    expect(a.requests.length).to.equal(sent);
    expect(skipped.body.attempts[0]).to.include({ model: 'alpha', outcome: 'skipped' });
    expect(
      await router.metric('router_circuit_transitions_total{backend="openai",state="open"}'),
    ).to.be.greaterThan(0);
    // After the cooldown one probe goes through; the upstream has recovered, so the circuit closes.
    a.fault = 'none';
    await new Promise((r) => setTimeout(r, 450));
    const probed = await ask();
    expect(probed.body.model_id).to.equal('alpha');
    expect(a.requests.length).to.equal(sent + 1);
  });

  it('does not fall back when the request says so', async () => {
    a.fault = 'http500';
    const res = await ask('alpha', { use_fallbacks: false });
    expect(res.status).to.equal(503);
    expect(res.body.error.details.attempts.every((x: any) => x.model === 'alpha')).to.equal(true);
  });

  it('streams from the fallback when the first target fails before its first byte', async () => {
    a.fault = 'http500';
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'alpha',
        stream: true,
        messages: [{ role: 'user', content: 'one two' }],
      }),
    });
    expect(res.headers.get('x-model-id')).to.equal('beta');
    const text = await res.text();
    expect(text).to.include('"content":" two"').and.include('data: [DONE]');
  });

  it('never switches target after the first streamed byte: a broken stream ends with an error event', async () => {
    a.fault = 'broken-stream';
    const before = b.requests.length;
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'alpha',
        stream: true,
        messages: [{ role: 'user', content: 'one two three' }],
      }),
    });
    expect(res.status).to.equal(200);
    expect(res.headers.get('x-model-id')).to.equal('alpha');
    const text = await res.text();
    expect(text).to.include('"content":"echo:"');
    expect(text).to.include('"code":"upstream_error"');
    expect(text.trimEnd().endsWith('data: [DONE]')).to.equal(true);
    expect(b.requests.length).to.equal(before);
  });
});

describe('api/router: attempt and stream timeouts leave the chain its time', function () {
  this.timeout(60_000);
  let a: FakeOpenAI;
  let b: FakeOpenAI;
  let router: TestRouter;

  before(async () => {
    [a, b] = await Promise.all([startFakeOpenAI(), startFakeOpenAI()]);
    // The deadline is two attempt timeouts: retrying a hung target once would spend all of it.
    router = await startRouter(
      [openaiModel('alpha', a.baseURL, '  fallbacks: [beta]'), openaiModel('beta', b.baseURL)],
      { ATTEMPT_TIMEOUT_MS: '500', REQUEST_TIMEOUT_MS: '1000', STREAM_IDLE_TIMEOUT_MS: '300' },
    );
  });
  after(async () => {
    await router?.close();
    await Promise.all([a?.close(), b?.close()]);
  });

  it('moves past a hung target after one attempt timeout instead of retrying it into the deadline', async () => {
    a.fault = 'hang';
    const res = await router.post('/api/inference/text', {
      model_id: 'alpha',
      input: 'hello there',
      parameters: { temperature: 0.5 },
    });
    a.fault = 'none';
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.model_id).to.equal('beta');
    expect(res.body.attempts.map((x: any) => `${x.model}:${x.outcome}:${x.kind ?? ''}`)).to.deep.equal([
      'alpha:failed:timeout',
      'beta:succeeded:',
    ]);
  });

  it('ends a stream that stalls midway with an error event and [DONE], counted as a timeout', async () => {
    a.fault = 'stall-stream';
    const before = await router.metric(
      'router_backend_failures_total{model="alpha",version="",kind="timeout"}',
    );
    const started = Date.now();
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'alpha',
        stream: true,
        messages: [{ role: 'user', content: 'one two' }],
      }),
    });
    const text = await res.text();
    a.fault = 'none';
    expect(res.status).to.equal(200);
    expect(text).to.include('"content":"echo:"');
    expect(text).to.include('"type":"server_error"');
    expect(text.trimEnd().endsWith('data: [DONE]')).to.equal(true);
    expect(Date.now() - started).to.be.lessThan(3000);
    const after = await router.metric(
      'router_backend_failures_total{model="alpha",version="",kind="timeout"}',
    );
    expect(after - before).to.equal(1);
  });
});
