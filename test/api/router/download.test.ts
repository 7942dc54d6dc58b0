/**
 * POST /api/models/download and its status URL against real runtime processes (local mode) that fetch the
 * sentiment model as an http:// directory from a real loopback file server, which holds responses mid-file so a
 * download stays in progress for as long as a test needs it, and serves a corrupted file on demand.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { type DirectoryArtifact, directoryOf } from '../../runtime/helpers/artifacts.js';
import { type FileServer, startFileServer } from '../../runtime/helpers/file-server.js';
import { eventually } from '../../support/eventually.js';
import { openaiModel, startRouter, type TestRouter } from './harness.js';

const BASE = '/d/sentiment/';
const STATUS_URL = '/api/models/sentiment/download?version=v1';

/** v1 fetched over HTTP without a pinned digest (so every load fetches it); v2 scaled to zero (no runtime). */
const sentiment = (url: string) => `
apiVersion: ai.paissive.io/v1alpha1
kind: AIModel
metadata: {name: sentiment}
spec: {provider: onnx, capabilities: [text-classification]}
---
apiVersion: ai.paissive.io/v1alpha1
kind: ModelVersion
metadata: {name: sentiment-v1}
spec: {model: sentiment, version: v1, default: true, replicas: 2, artifact: {uri: "${url}${BASE}"}}
---
apiVersion: ai.paissive.io/v1alpha1
kind: ModelVersion
metadata: {name: sentiment-v2}
spec: {model: sentiment, version: v2, replicas: 0, artifact: {uri: "${url}${BASE}"}}
`;

interface RuntimeView {
  address: string;
  state: string;
  serving: boolean;
  error_code?: string;
  progress?: { state: string; bytes_downloaded: number; bytes_total?: number; percent?: number };
}

describe('POST /api/models/download: a re-fetch that answers with progress (real runtimes, a slow HTTP store)', function () {
  this.timeout(240_000);
  let server: FileServer;
  let directory: DirectoryArtifact;
  let cacheDir: string;
  let router: TestRouter;

  /** Bytes of the files the runtime fetches before `path` (the manifest's order), plus `path`'s own size. */
  const offsets = (path: string) => {
    const order = directory.manifest
      .trim()
      .split('\n')
      .map((line) => line.slice(66));
    const before = order
      .slice(0, order.indexOf(path))
      .reduce((sum, p) => sum + (directory.files.get(p) as Buffer).length, 0);
    return { before, size: (directory.files.get(path) as Buffer).length };
  };
  const gets = (path: string) => server.requests.filter((r) => r.path === `${BASE}${path}`).length;
  /** The answer once no runtime is at work: `answer` itself unless it is a 202, else the status URL's. */
  const outcome = async (answer: { status: number; body: any }) =>
    answer.status !== 202
      ? answer
      : eventually(async () => {
          const res = await router.get(`${STATUS_URL}&wait_seconds=5`);
          return res.status === 202 ? undefined : res;
        }, 'the download to end');
  const classify = () =>
    router.post('/api/inference/analyze', { model_id: 'sentiment', task: 'classify', input: ['I loved it'] });

  before(async () => {
    directory = await directoryOf('sentiment-v1');
    server = await startFileServer();
    for (const [path, bytes] of directory.files) server.put(`${BASE}${path}`, bytes);
    server.put(`${BASE}SHA256SUMS`, Buffer.from(directory.manifest));
    cacheDir = await mkdtemp(join(tmpdir(), 'router-download-cache-'));
    router = await startRouter([sentiment(server.url), openaiModel('gpt', 'http://127.0.0.1:9/v1')], {
      LOCAL_MAX_REPLICAS: '2',
      MODEL_CACHE_DIR: cacheDir,
      // A held response must not count as a stall: the tests decide when it goes on.
      DOWNLOAD_STALL_SECONDS: '600',
      // These tests send more downloads than the default model-operations limit (10 per window) allows.
      ROUTER_MODEL_OPS_LIMIT: '100',
    });
    // Both runtimes loaded: the status URL answers READY for two of them.
    await eventually(
      async () => {
        const res = await router.get(STATUS_URL);
        return res.status === 200 && res.body.runtimes.length === 2 ? true : undefined;
      },
      'two sentiment runtimes ready',
      120_000,
    );
  });
  after(async () => {
    await router?.close();
    await server?.close();
    if (cacheDir) await rm(cacheDir, { recursive: true, force: true });
  });

  it('refuses bad requests in the one error shape: unknown model or version, bad wait_seconds, no artifact, no runtime', async () => {
    const post = (body: unknown) => router.post('/api/models/download', body);
    const cases: [Promise<{ status: number; body: any }>, number, string][] = [
      [post({ model_id: 'nope' }), 404, 'model_not_found'],
      [post({ model_id: 'sentiment', version: 'v7' }), 404, 'version_not_found'],
      [post({ model_id: 'sentiment', wait_seconds: -1 }), 400, 'invalid_request'],
      [post({ model_id: 'sentiment', wait_seconds: 61 }), 400, 'invalid_request'],
      [post({ model_id: 'sentiment', wait_seconds: 'soon' }), 400, 'invalid_request'],
      [post({ model_id: 'sentiment', force: true }), 400, 'invalid_request'],
      [post({ model_id: 'gpt' }), 409, 'no_artifact'],
      [router.get('/api/models/nope/download'), 404, 'model_not_found'],
      [router.get('/api/models/sentiment/download?version=v7'), 404, 'version_not_found'],
      [router.get('/api/models/sentiment/download?wait_seconds=later'), 400, 'invalid_request'],
      [router.get('/api/models/gpt/download'), 409, 'no_artifact'],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      expect(res.status, JSON.stringify(res.body)).to.equal(status);
      expect(res.body.error.code).to.equal(code);
      expect(res.body.error.message).to.be.a('string').and.not.empty;
    }
    const scaledToZero = await post({ model_id: 'sentiment', version: 'v2' });
    expect(scaledToZero.status).to.equal(503);
    expect(scaledToZero.body.error).to.deep.include({ code: 'model_unavailable' });
    expect(scaledToZero.body.error.details).to.deep.include({
      model_id: 'sentiment',
      version: 'v2',
      reason: 'ScaledToZero',
    });
  });

  it('answers 202 with growing progress per runtime while the store is slow, joins a second POST, then READY', async () => {
    const model = offsets('onnx/model.onnx');
    const tokenizer = offsets('tokenizer.json');
    const manifestGets = gets('SHA256SUMS');
    server.fault(`${BASE}onnx/model.onnx`, { pauseAfter: 20_000, times: 2 });

    const started = await router.post('/api/models/download', { model_id: 'sentiment', wait_seconds: 0.2 });
    expect(started.status, JSON.stringify(started.body)).to.equal(202);
    expect(started.headers.get('location')).to.equal(STATUS_URL);
    expect(started.body).to.deep.include({ model_id: 'sentiment', version: 'v1', status_url: STATUS_URL });
    expect(started.body.state).to.be.oneOf(['DOWNLOADING', 'LOADING']);
    expect(started.body.artifact.verified).to.equal(false);
    expect(started.body.started_at).to.be.a('string');
    expect(started.body.runtimes).to.have.length(2);

    // Both runtimes hold the first 20000 bytes of model.onnx: the status URL says so, and that the files before it are in.
    const held = model.before + 20_000;
    const first = await eventually(async () => {
      const res = await router.get(STATUS_URL);
      const all = res.body.runtimes as RuntimeView[] | undefined;
      return res.status === 202 && all?.every((r) => r.progress?.bytes_downloaded === held) ? res : undefined;
    }, 'both runtimes at the first pause');
    expect(first.body.state).to.equal('DOWNLOADING');
    for (const r of first.body.runtimes as RuntimeView[]) {
      expect(r).to.deep.include({ state: 'DOWNLOADING', serving: true });
      expect(r.progress).to.deep.include({ state: 'downloading', bytes_total: model.before + model.size });
      expect(r.progress?.percent).to.be.greaterThan(0).and.lessThan(100);
    }

    // The previous load keeps serving, and a second POST joins the download instead of queuing another.
    expect((await classify()).status).to.equal(200);
    const again = await router.post('/api/models/download', { model_id: 'sentiment', wait_seconds: 0 });
    expect(again.status).to.equal(202);

    // The next pause, further in: the progress grew.
    server.fault(`${BASE}tokenizer.json`, { pauseAfter: 4_000, times: 2 });
    server.resume(`${BASE}onnx/model.onnx`);
    const further = tokenizer.before + 4_000;
    const second = await eventually(async () => {
      const res = await router.get(STATUS_URL);
      const all = res.body.runtimes as RuntimeView[] | undefined;
      return res.status === 202 && all?.every((r) => r.progress?.bytes_downloaded === further)
        ? res
        : undefined;
    }, 'both runtimes at the second pause');
    expect(further).to.be.greaterThan(held);
    for (const r of second.body.runtimes as RuntimeView[]) {
      expect(r.progress?.percent).to.be.greaterThan(first.body.runtimes[0].progress.percent);
    }

    server.resume(`${BASE}tokenizer.json`);
    const done = await outcome({ status: 202, body: undefined });
    expect(done.status, JSON.stringify(done.body)).to.equal(200);
    expect(done.body).to.deep.include({ state: 'READY', model_id: 'sentiment', version: 'v1' });
    expect(done.body.artifact).to.deep.include({ verified: true, uri: `${server.url}${BASE}` });
    expect(done.body.runtimes.map((r: RuntimeView) => r.state)).to.deep.equal(['READY', 'READY']);
    // One fetch per runtime: the second POST started none.
    expect(gets('SHA256SUMS') - manifestGets).to.equal(2);
    expect((await classify()).status).to.equal(200);
  });

  it('refuses a corrupted artifact with ArtifactInvalid (409) while the previous load keeps serving, and takes the repaired one', async () => {
    const path = 'tokenizer_config.json';
    const good = directory.files.get(path) as Buffer;
    server.put(`${BASE}${path}`, Buffer.concat([good, Buffer.from('\n')]));
    const refused = await outcome(
      await router.post('/api/models/download', { model_id: 'sentiment', wait_seconds: 30 }),
    );
    expect(refused.status, JSON.stringify(refused.body)).to.equal(409);
    expect(refused.body.error.code).to.equal('artifact_invalid');
    expect(refused.body.error.message).to.include('sha256 mismatch');
    expect(refused.body.error.details).to.deep.include({
      model_id: 'sentiment',
      version: 'v1',
      reason: 'ArtifactInvalid',
    });
    for (const r of refused.body.error.details.runtimes as RuntimeView[]) {
      expect(r).to.deep.include({ state: 'FAILED', error_code: 'ArtifactInvalid', serving: true });
    }
    expect((await classify()).status).to.equal(200);
    // The status URL keeps saying so until a load succeeds.
    expect((await router.get(STATUS_URL)).status).to.equal(409);

    server.put(`${BASE}${path}`, good);
    const final = await outcome(
      await router.post('/api/models/download', { model_id: 'sentiment', wait_seconds: 30 }),
    );
    expect(final.status, JSON.stringify(final.body)).to.equal(200);
    expect(final.body.state).to.equal('READY');
  });
});
