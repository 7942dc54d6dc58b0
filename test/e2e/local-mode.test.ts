/**
 * End to end: local mode started as a user starts it, every endpoint called over HTTP, answered by real
 * runtimes over gRPC running real ONNX sessions; then the operator's promises: YAML edits without a
 * restart, crash restarts, refused artifacts, and a clean Ctrl-C.
 */
import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { eventually, type LocalRouter, startLocalRouter } from './local-router.js';

interface Reply {
  status: number;
  headers: Headers;
  body: any;
}

describe('e2e: local mode (make run) serves every endpoint from real runtimes', function () {
  this.timeout(90_000);
  let router: LocalRouter;

  const call = async (
    path: string,
    body?: unknown,
    method = body === undefined ? 'GET' : 'POST',
  ): Promise<Reply> => {
    const res = await fetch(`${router.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    const json = res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    return { status: res.status, headers: res.headers, body: json };
  };
  const versionOf = async (model: string, version: string) =>
    (await call(`/api/models/${model}/versions`)).body.versions.find(
      (v: { version: string }) => v.version === version,
    );

  before(async () => {
    router = await startLocalRouter();
    await eventually(async () => ((await call('/readyz')).status === 200 ? true : undefined), 'readyz');
  });
  after(async () => {
    if (router?.process.exitCode === null) await router.stop();
  });

  it('GET /healthz and /readyz answer, readyz naming each runtime', async () => {
    expect((await call('/healthz')).body).to.deep.equal({ status: 'ok' });
    const ready = await call('/readyz');
    expect(Object.keys(ready.body.checks)).to.include.members([
      'catalog',
      'runtime:story-writer-v2',
      'runtime:sentiment-v1',
    ]);
  });

  it('GET /api/models lists every example with readiness and default version', async () => {
    const { body } = await call('/api/models');
    const byId = Object.fromEntries(body.models.map((m: { id: string }) => [m.id, m]));
    expect(Object.keys(byId).sort()).to.deep.equal([
      'gpt-4o-mini',
      'gpt-4o-mini-guarded',
      'sentence-embedder',
      'sentiment',
      'story-writer',
    ]);
    expect(byId['story-writer']).to.include({
      ready: true,
      default_version: 'v2',
      versions_total: 2,
      versions_ready: 2,
    });
    expect(byId['gpt-4o-mini']).to.include({ ready: false, reason: 'CredentialsMissing' });
  });

  it('GET /api/models/{id} and /versions show versions newest first, v1 deprecated', async () => {
    const details = await call('/api/models/story-writer');
    expect(details.body.conditions.find((c: { type: string }) => c.type === 'Ready')).to.include({
      status: 'True',
    });
    const versions = (await call('/api/models/story-writer/versions')).body.versions;
    expect(
      versions.map((v: { version: string; default: boolean; deprecated: boolean }) => [
        v.version,
        v.default,
        v.deprecated,
      ]),
    ).to.deep.equal([
      ['v2', true, false],
      ['v1', false, true],
    ]);
    expect(versions[0].artifact.sha256).to.match(/^[0-9a-f]{64}$/);
  });

  it('POST /api/inference/text answers greedily, deterministically, with usage and headers', async () => {
    const request = {
      model_id: 'story-writer',
      input: 'Tom had a small red',
      parameters: { max_tokens: 12, temperature: 0 },
    };
    const first = await call('/api/inference/text', request);
    expect(first.status).to.equal(200);
    expect(first.body).to.include({ model_id: 'story-writer', version: 'v2', fallback_used: false });
    // The input is a user message, rendered with the story writer's chat template: an answer, not the corpus line.
    expect(first.body.output).to.be.a('string').and.not.equal('');
    expect(first.body.usage.input_tokens).to.be.greaterThan(0);
    expect(first.body.usage.output_tokens).to.be.within(1, 12);
    expect(first.body.cost.currency).to.equal('USD');
    expect(first.headers.get('x-model-version')).to.equal('v2');
    expect(Number(first.headers.get('x-router-overhead-ms'))).to.be.a('number');
    const second = await call('/api/inference/text', request);
    expect(second.body.output).to.equal(first.body.output);
  });

  it('POST /api/inference/text serves a deprecated version only when named', async () => {
    const named = await call('/api/inference/text', {
      model_id: 'story-writer',
      version: 'v1',
      input: 'Mia found a blue',
      parameters: { max_tokens: 4 },
    });
    expect(named.body.version).to.equal('v1');
  });

  it('falls back from a model without credentials to its fallback, or answers 503 when fallbacks are off', async () => {
    const served = await call('/api/inference/text', {
      model_id: 'gpt-4o-mini',
      input: 'The old baker',
      parameters: { max_tokens: 6 },
    });
    expect(served.status).to.equal(200);
    expect(served.body).to.include({
      model_id: 'story-writer',
      requested_model_id: 'gpt-4o-mini',
      fallback_used: true,
    });
    expect(served.headers.get('x-fallback-used')).to.equal('true');
    const refused = await call('/api/inference/text', {
      model_id: 'gpt-4o-mini',
      input: 'hi',
      use_fallbacks: false,
    });
    expect(refused.status).to.equal(503);
    expect(refused.body.error.code).to.equal('model_unavailable');
    expect(refused.body.error.details.attempts[0]).to.include({ model: 'gpt-4o-mini', outcome: 'skipped' });
    expect(refused.headers.get('retry-after')).to.equal('1');
  });

  it('POST /api/inference/analyze classifies, embeds and tokenizes', async () => {
    const classified = await call('/api/inference/analyze', {
      model_id: 'sentiment',
      task: 'classify',
      input: ['I really loved this wonderful film', 'This was a terrible and boring waste of time'],
    });
    expect(classified.body.results.map((r: { label: string }) => r.label)).to.deep.equal([
      'POSITIVE',
      'NEGATIVE',
    ]);

    const embedded = await call('/api/inference/analyze', {
      model_id: 'sentence-embedder',
      task: 'embed',
      input: ['x'],
    });
    expect(embedded.body.results[0].dimensions).to.be.greaterThan(0);

    const tokens = await call('/api/inference/analyze', {
      model_id: 'story-writer',
      task: 'tokens',
      input: 'Tom had a boat.',
    });
    expect(tokens.body.results[0].count).to.equal(tokens.body.results[0].token_ids.length);
    expect(tokens.body.results[0].tokens.join('').replaceAll('Ġ', ' ')).to.equal('Tom had a boat.');
  });

  it('POST /api/inference/batch runs items in the background and GET /api/inference/jobs/{id} returns them in order', async () => {
    const accepted = await call('/api/inference/batch', {
      requests: [
        {
          type: 'analyze',
          custom_id: 'pos',
          model_id: 'sentiment',
          task: 'classify',
          input: 'What a great and happy day',
        },
        {
          type: 'text',
          custom_id: 'story',
          model_id: 'story-writer',
          input: 'Mia found a blue',
          parameters: { max_tokens: 4 },
        },
        { type: 'text', custom_id: 'ghost', model_id: 'no-such-model', input: 'x' },
      ],
    });
    expect(accepted.status).to.equal(202);
    expect(accepted.body.status_url).to.equal(`/api/inference/jobs/${accepted.body.job_id}`);
    const job = await eventually(async () => {
      const j = (await call(accepted.body.status_url)).body;
      return j.status === 'queued' || j.status === 'running' ? undefined : j;
    }, 'batch completion');
    expect(job.status).to.equal('completed');
    expect(job.progress).to.include({ total: 3, completed: 3, succeeded: 2, failed: 1 });
    expect(
      job.results.map((r: { custom_id: string; status: string }) => [r.custom_id, r.status]),
    ).to.deep.equal([
      ['pos', 'succeeded'],
      ['story', 'succeeded'],
      ['ghost', 'failed'],
    ]);
    expect(job.results[0].response.results[0].label).to.equal('POSITIVE');
    expect(job.results[2].error.code).to.equal('model_not_found');
    const page = (await call(`${accepted.body.status_url}?offset=1&limit=1`)).body;
    expect(page.results.map((r: { index: number }) => r.index)).to.deep.equal([1]);
    expect(page.page).to.deep.include({ next_offset: 2, total: 3 });
  });

  it('POST /api/models/download re-fetches and verifies the artifact in its runtime', async () => {
    // A file:// artifact loads in well under a minute: the answer is the outcome, not a 202 with progress.
    const res = await call('/api/models/download', { model_id: 'sentiment', wait_seconds: 60 });
    expect(res.status).to.equal(200);
    expect(res.body).to.deep.include({ model_id: 'sentiment', version: 'v1', state: 'READY' });
    expect(res.body.artifact.verified).to.equal(true);
  });

  it('the metrics endpoints report the traffic above: per model, service, usage and cost', async () => {
    const model = (await call('/api/models/story-writer/metrics')).body;
    expect(model.model_id).to.equal('story-writer');
    expect(model.requests_count).to.be.at.least(3);
    expect(model.tokens_output).to.be.greaterThan(0);
    expect(model.series).to.have.length(24);

    const byVersion = (await call('/api/metrics/models/story-writer?period=daily')).body;
    expect(byVersion.versions.map((v: { version: string }) => v.version).sort()).to.deep.equal(['v1', 'v2']);

    const gpt = (await call('/api/models/gpt-4o-mini/metrics')).body;
    expect(gpt.fallback_rate).to.be.greaterThan(0);
    expect(gpt.error_rate).to.be.greaterThan(0);

    const service = (await call('/api/metrics')).body;
    expect(service.catalog).to.deep.include({ models: 5 });
    expect(service.last_24h.requests_count).to.be.at.least(6);

    const usage = (await call('/api/metrics/usage')).body;
    expect(usage.models.map((m: { model_id: string }) => m.model_id)).to.include.members([
      'story-writer',
      'sentiment',
    ]);
    expect(usage.totals.total_tokens).to.be.greaterThan(0);

    const cost = (await call('/api/metrics/cost')).body;
    expect(cost.totals[0].currency).to.equal('USD');
    expect(cost.totals[0].amount).to.be.greaterThan(0);
    expect(cost.projection.projected_total[0].amount).to.be.at.least(cost.projection.month_to_date[0].amount);
  });

  it('GET /metrics exposes Prometheus counters and GET /openapi.json documents every seed endpoint', async () => {
    const metrics = (await call('/metrics')).body as string;
    expect(metrics).to.match(
      /router_inference_requests_total\{operation="generate",model="story-writer",served_model="story-writer",version="v2",outcome="success"\} \d+/,
    );
    expect(metrics).to.include('router_fallbacks_total{model="gpt-4o-mini",served_model="story-writer"}');
    expect(metrics).to.include('router_tokens_total');
    const doc = (await call('/openapi.json')).body;
    expect(Object.keys(doc.paths)).to.include.members([
      '/api/models',
      '/api/models/{model_id}',
      '/api/models/{model_id}/versions',
      '/api/models/{model_id}/metrics',
      '/api/models/download',
      '/api/inference/text',
      '/api/inference/analyze',
      '/api/inference/batch',
      '/api/inference/jobs/{job_id}',
      '/api/metrics',
      '/api/metrics/models/{model_id}',
      '/api/metrics/usage',
      '/api/metrics/cost',
    ]);
    expect(
      doc.paths['/api/inference/text'].post.requestBody.content['application/json'].schema.required,
    ).to.include('model_id');
  });

  it('picks up a new ModelVersion added to the folder without a restart', async () => {
    const sentiment = await readFile(join(router.dir, 'sentiment.yaml'), 'utf8');
    const v1 = sentiment.split('---').find((doc) => doc.includes('kind: ModelVersion')) as string;
    const v2 = v1
      .replace('name: sentiment-v1', 'name: sentiment-v2')
      .replace('version: v1', 'version: v2')
      .replace('default: true', 'default: false');
    await writeFile(join(router.dir, 'sentiment-v2.yaml'), v2);
    const ready = await eventually(
      async () => ((await versionOf('sentiment', 'v2'))?.ready ? true : undefined),
      'sentiment v2 ready',
    );
    expect(ready).to.equal(true);
    const res = await call('/api/inference/analyze', {
      model_id: 'sentiment',
      version: 'v2',
      task: 'classify',
      input: 'good',
    });
    expect(res.body.version).to.equal('v2');
  });

  it('refuses an artifact whose sha256 does not match: ArtifactInvalid, and the default keeps serving', async () => {
    const broken = (await readFile(join(router.dir, 'sentiment-v2.yaml'), 'utf8'))
      .replace('name: sentiment-v2', 'name: sentiment-v3')
      .replace('version: v2', 'version: v3')
      .replace(/sha256: "?[0-9a-f]{64}"?/, `sha256: "${'f'.repeat(64)}"`);
    await writeFile(join(router.dir, 'sentiment-v3.yaml'), broken);
    const v3 = await eventually(async () => {
      const v = await versionOf('sentiment', 'v3');
      return v?.reason === 'ArtifactInvalid' ? v : undefined;
    }, 'sentiment v3 ArtifactInvalid');
    expect(v3.ready).to.equal(false);
    expect(v3.message).to.include('sha256');
    const res = await call('/api/inference/analyze', {
      model_id: 'sentiment',
      task: 'classify',
      input: 'good',
    });
    expect(res.status).to.equal(200);
  });

  it('restarts a crashed runtime and serves again', async () => {
    const before = await versionOf('sentiment', 'v1');
    const pid = Number(/pid (\d+)/.exec(before.message)?.[1]);
    expect(pid).to.be.greaterThan(0);
    process.kill(pid, 'SIGKILL');
    const after = await eventually(async () => {
      const v = await versionOf('sentiment', 'v1');
      const newPid = Number(/pid (\d+)/.exec(v?.message ?? '')?.[1]);
      return v?.ready && newPid && newPid !== pid ? v : undefined;
    }, 'sentiment v1 back after a crash');
    expect(after.message).to.match(/pid \d+ serving/);
    const res = await call('/api/inference/analyze', {
      model_id: 'sentiment',
      task: 'classify',
      input: 'good',
    });
    expect(res.status).to.equal(200);
  });

  it('stops cleanly on Ctrl-C: exit code 0 and no runtime process left', async () => {
    const versions = [
      ...(await call('/api/models/story-writer/versions')).body.versions,
      ...(await call('/api/models/sentiment/versions')).body.versions,
    ];
    const pids = versions
      .map((v: { message?: string }) => Number(/pid (\d+)/.exec(v.message ?? '')?.[1]))
      .filter((p: number) => p > 0);
    expect(pids.length).to.be.at.least(3);
    expect(await router.stop()).to.equal(0);
    const alive = pids.filter((pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    });
    const detail = alive.length
      ? execFileSync('ps', ['-o', 'pid,cmd', '-p', alive.join(',')], { encoding: 'utf8' })
      : '';
    expect(alive, detail).to.deep.equal([]);
  });
});
