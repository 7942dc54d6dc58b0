/**
 * GET /api/models/{model_id}/metrics?window=: each version's figures over the last minutes, after real
 * requests through a router in local mode (real runtime processes for two versions, a third version that
 * never becomes ready, a loopback OpenAI-compatible model as the fallback). Without `window` the body is
 * the hourly report as before.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import { BUILD, openaiModel, startRouter, type TestRouter } from '../router/harness.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';

const writer = (artifacts: Record<string, string>) =>
  [
    `apiVersion: ai.paissive.io/v1alpha1
kind: AIModel
metadata: {name: writer}
spec:
  provider: onnx
  capabilities: [text-generation]
  cache: {ttlSeconds: 0}
  fallbacks: [beta]`,
    ...Object.entries(artifacts).map(
      ([v, dir]) => `apiVersion: ai.paissive.io/v1alpha1
kind: ModelVersion
metadata: {name: writer-${v}}
spec: {model: writer, version: ${v}, default: ${v === 'v1'}, replicas: 1, artifact: {uri: "file://${dir}"}}`,
    ),
  ].join('\n---\n');

describe('api/routes: model metrics with a window of per-version figures', function () {
  this.timeout(180_000);
  let upstream: FakeOpenAI;
  let router: TestRouter;

  before(async () => {
    upstream = await startFakeOpenAI();
    router = await startRouter(
      [
        writer({
          v1: join(BUILD, 'story-writer-v1'),
          v2: join(BUILD, 'story-writer-v2'),
          // Never ready: requests routed to it fail over to beta, or fail without fallbacks.
          v3: join(BUILD, 'no-such-artifact'),
        }),
        openaiModel('beta', upstream.baseURL),
      ],
      { ATTEMPT_TIMEOUT_MS: '20000', REQUEST_TIMEOUT_MS: '60000' },
      150_000,
    );
  });
  after(async () => {
    await router?.close();
    await upstream?.close();
  });

  const ask = (extra: Record<string, unknown>) =>
    router.post('/api/inference/text', {
      model_id: 'writer',
      input: 'Once upon a time',
      parameters: { max_tokens: 4 },
      ...extra,
    });

  it("counts each routed version's requests, fallbacks and errors, with latency percentiles", async () => {
    const answers = [
      ...(await Promise.all([ask({}), ask({ version: 'v1' }), ask({ version: 'v2' })])),
      await ask({ version: 'v3' }),
      await ask({ version: 'v3', use_fallbacks: false }),
      await ask({ version: 'nope' }),
    ];
    expect(answers.map((a) => a.status)).to.deep.equal([200, 200, 200, 200, 503, 404]);
    expect(answers[3]?.body).to.include({ model_id: 'beta', fallback_used: true });

    const res = await router.get('/api/models/writer/metrics?window=5m');
    expect(res.status).to.equal(200);
    const body = res.body;
    expect(body.window.duration).to.equal('5m');
    const span = Date.parse(body.window.to) - Date.parse(body.window.from);
    expect(span).to.be.within(5 * 60_000, 6 * 60_000);
    expect(Date.parse(body.window.from) % 60_000).to.equal(0);
    // The hourly report is still there beside the window.
    expect(body).to.include({ model_id: 'writer', period: 'hourly', requests_count: 5 });
    const { v1, v2, v3 } = body.versions;
    expect(Object.keys(body.versions).sort()).to.deep.equal(['v1', 'v2', 'v3']);
    expect(v1).to.include({
      requests: 2,
      errors: 0,
      error_rate: 0,
      fallbacks: 0,
      fallback_rate: 0,
      cache_hits: 0,
    });
    expect(v2).to.include({ requests: 1, errors: 0, fallbacks: 0 });
    // v3 never served: one request answered by beta (its fallback), one failed (503, no fallbacks allowed).
    expect(v3).to.include({ requests: 2, errors: 1, error_rate: 0.5, fallbacks: 1, fallback_rate: 0.5 });
    for (const figures of [v1, v2, v3]) {
      expect(figures.avg_latency_ms).to.be.above(0);
      expect(figures.p50_latency_ms).to.be.above(0);
      expect(figures.p95_latency_ms).to.be.at.least(figures.p50_latency_ms);
      expect(figures.p99_latency_ms).to.be.at.least(figures.p95_latency_ms);
    }
  });

  it('without window: the body as before, no versions', async () => {
    const res = await router.get('/api/models/writer/metrics');
    expect(res.status).to.equal(200);
    expect(res.body).to.not.have.any.keys('window', 'versions');
    expect(res.body).to.include.keys('model_id', 'period', 'series', 'requests_count');
  });

  const bad: [string, RegExp][] = [
    ['30s', /whole minutes/],
    ['0m', /whole minutes/],
    ['5', /whole minutes/],
    ['1h30m10s', /whole minutes/],
    ['25h', /1m to 24h/],
    ['', /whole minutes/],
  ];
  for (const [window, message] of bad)
    it(`window=${window || '(empty)'}: 400 naming query.window`, async () => {
      const res = await router.get(`/api/models/writer/metrics?window=${window}`);
      expect(res.status).to.equal(400);
      expect(res.body.error.code).to.equal('invalid_request');
      expect(res.body.error.details.problems[0].path).to.equal('query.window');
      expect(res.body.error.details.problems[0].message).to.match(message);
    });

  it('an unknown model: 404, as without a window', async () => {
    const res = await router.get('/api/models/nope/metrics?window=5m');
    expect(res.status).to.equal(404);
  });
});
