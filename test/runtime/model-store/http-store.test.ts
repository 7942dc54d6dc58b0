import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { ArtifactInvalidError, ArtifactUnavailableError } from '../../../runtime/src/errors.js';
import { RuntimeMetrics } from '../../../runtime/src/metrics.js';
import type { DownloadState } from '../../../runtime/src/model-store/progress.js';
import { type Fetch, ModelStore } from '../../../runtime/src/model-store/store.js';
import {
  type ArchiveArtifact,
  archiveOf,
  type DirectoryArtifact,
  directoryOf,
} from '../helpers/artifacts.js';
import { type FileServer, startFileServer } from '../helpers/file-server.js';

/** Every state a fetch went through, in order. */
function statesOf(fetch: Fetch): DownloadState[] {
  const states: DownloadState[] = [fetch.progress.status.state];
  fetch.progress.on('change', (s) => {
    if (states.at(-1) !== s.state) states.push(s.state);
  });
  return states;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.fail('expected a rejection'),
    (error: Error) => error,
  );
}

describe('model store over HTTP (a loopback server that cuts connections)', () => {
  let server: FileServer;
  let archive: ArchiveArtifact;
  let directory: DirectoryArtifact;
  let cacheDir: string;
  let metrics: RuntimeMetrics;
  let store: ModelStore;

  const newStore = (overrides: { maxAttempts?: number; stallTimeoutMs?: number; maxBytes?: number } = {}) =>
    new ModelStore({
      config: {
        cache: { dir: cacheDir, maxBytes: overrides.maxBytes ?? 1e9 },
        download: {
          maxAttempts: overrides.maxAttempts ?? 4,
          stallTimeoutMs: overrides.stallTimeoutMs ?? 5000,
        },
        s3: { region: 'us-east-1', forcePathStyle: true },
      },
      logger: pino({ level: 'silent' }),
      metrics,
      backoffMs: 5,
    });

  before(async () => {
    [archive, directory] = await Promise.all([
      archiveOf('sentiment-v1'),
      directoryOf('sentence-embedder-v1'),
    ]);
    server = await startFileServer();
    server.put('/m/sentiment.tar.gz', archive.bytes);
    for (const [path, bytes] of directory.files) server.put(`/d/embedder/${path}`, bytes);
    server.put('/d/embedder/SHA256SUMS', Buffer.from(directory.manifest));
  });
  after(() => server.close());
  beforeEach(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'runtime-cache-'));
    metrics = new RuntimeMetrics();
    store = newStore();
    server.requests.length = 0;
    server.bytesSent = 0;
    server.ignoreRanges = false;
  });
  afterEach(() => rm(cacheDir, { recursive: true, force: true }));

  const archiveUri = () => `${server.url}/m/sentiment.tar.gz`;

  it('downloads, verifies and unpacks an archive, then serves the next resolve from the cache', async () => {
    const first = store.fetch(archiveUri(), archive.sha256);
    const states = statesOf(first);
    const resolved = await first.result;
    expect(states).to.deep.equal(['pending', 'downloading', 'verifying', 'extracting', 'ready']);
    expect(first.progress.status).to.include({
      bytesDownloaded: archive.bytes.length,
      bytesTotal: archive.bytes.length,
    });
    expect(await readdir(resolved.dir)).to.include.members(['config.json', 'tokenizer.json', 'onnx']);
    expect(resolved.cacheKey).to.equal(`sha256-${archive.sha256}`);

    const again = store.fetch(archiveUri(), archive.sha256);
    expect((await again.result).dir).to.equal(resolved.dir);
    expect(again.progress.status.state).to.equal('cached');
    expect(server.requests).to.have.length(1);
    expect(await metrics.registry.getSingleMetricAsString('runtime_model_cache_hits_total')).to.match(/ 1$/m);
  });

  it('resumes a download cut mid-file with ranged GETs, without fetching the start again', async () => {
    server.fault('/m/sentiment.tar.gz', { cutAfter: 10_000, times: 2 });
    const fetch = store.fetch(archiveUri(), archive.sha256);
    await fetch.result;
    expect(server.requests.map((r) => r.range)).to.deep.equal([undefined, 'bytes=10000-', 'bytes=20000-']);
    expect(server.bytesSent).to.equal(archive.bytes.length);
    expect(fetch.progress.status.bytesDownloaded).to.equal(archive.bytes.length);
  });

  it('starts over when the server ignores the range after a cut, and still verifies', async () => {
    server.fault('/m/sentiment.tar.gz', { cutAfter: 10_000, times: 1 });
    server.ignoreRanges = true;
    const fetch = store.fetch(archiveUri(), archive.sha256);
    await fetch.result;
    expect(server.bytesSent).to.equal(10_000 + archive.bytes.length);
    expect(fetch.progress.status.bytesDownloaded).to.equal(archive.bytes.length);
  });

  it('cuts a stalled read after the stall timeout and resumes it', async () => {
    server.fault('/m/sentiment.tar.gz', { stall: true, times: 1 });
    await newStore({ stallTimeoutMs: 150 }).fetch(archiveUri(), archive.sha256).result;
    expect(server.requests).to.have.length(2);
  });

  it('downloads once when two loads ask for the same artifact together', async () => {
    const a = store.fetch(archiveUri(), archive.sha256);
    const b = store.fetch(archiveUri(), archive.sha256);
    expect(b).to.equal(a);
    await Promise.all([a.result, b.result]);
    expect(server.requests).to.have.length(1);
  });

  it('refuses a corrupted archive as ArtifactInvalid and keeps nothing of it', async () => {
    const corrupt = Buffer.from(archive.bytes);
    corrupt[corrupt.length >> 1] = (corrupt[corrupt.length >> 1] as number) ^ 0xff;
    server.put('/m/corrupt.tar.gz', corrupt);
    const fetch = store.fetch(`${server.url}/m/corrupt.tar.gz`, archive.sha256);
    const states = statesOf(fetch);
    const error = await rejection(fetch.result);
    expect(error).to.be.instanceOf(ArtifactInvalidError);
    expect(error.message).to.match(
      new RegExp(`sha256 mismatch for .*: expected ${archive.sha256}, actual [0-9a-f]{64}`),
    );
    expect(states.at(-1)).to.equal('failed');
    expect(await readdir(join(cacheDir, 'objects'))).to.deep.equal([]);
    expect(await readdir(join(cacheDir, 'tmp'))).to.deep.equal([]);
  });

  it('refuses an archive that is not gzip, even without a pinned digest', async () => {
    server.put('/m/junk.tar.gz', Buffer.from('this is not an archive'));
    const error = await rejection(store.fetch(`${server.url}/m/junk.tar.gz`).result);
    expect(error).to.be.instanceOf(ArtifactInvalidError);
    expect(error.message).to.include('cannot extract the archive');
  });

  it('fetches a directory from its SHA256SUMS, checking every file against it', async () => {
    const fetch = store.fetch(`${server.url}/d/embedder/`, directory.sha256);
    const resolved = await fetch.result;
    expect(resolved.sha256).to.equal(directory.sha256);
    expect(await readdir(join(resolved.dir, 'onnx'))).to.deep.equal(['model.onnx']);
    expect(fetch.progress.status.bytesDownloaded).to.equal(
      [...directory.files.values()].reduce((sum, b) => sum + b.length, 0),
    );
  });

  it('refuses a directory whose file differs from its SHA256SUMS line, naming the file', async () => {
    server.put('/e/embedder/SHA256SUMS', Buffer.from(directory.manifest));
    for (const [path, bytes] of directory.files) server.put(`/e/embedder/${path}`, bytes);
    server.put('/e/embedder/config.json', Buffer.from('{"tampered": true}'));
    const error = await rejection(store.fetch(`${server.url}/e/embedder/`).result);
    expect(error).to.be.instanceOf(ArtifactInvalidError);
    expect(error.message).to.match(
      /^sha256 mismatch for config\.json: expected [0-9a-f]{64}, actual [0-9a-f]{64}$/,
    );
  });

  it('refuses a pinned digest that the manifest contradicts before downloading any model file', async () => {
    const error = await rejection(store.fetch(`${server.url}/d/embedder/`, '0'.repeat(64)).result);
    expect(error).to.be.instanceOf(ArtifactInvalidError);
    expect(error.message).to.include('sha256 mismatch for the manifest');
    expect(server.requests.map((r) => r.path)).to.deep.equal(['/d/embedder/SHA256SUMS']);
  });

  it('answers a missing artifact with ArtifactInvalid and a failing store with ArtifactUnavailable', async () => {
    const missing = await rejection(store.fetch(`${server.url}/m/missing.tar.gz`).result);
    expect(missing).to.be.instanceOf(ArtifactInvalidError);
    expect(missing.message).to.include('answered 404 Not Found');
    server.fault('/m/sentiment.tar.gz', { status: 503, times: 5 });
    const down = await rejection(newStore({ maxAttempts: 3 }).fetch(archiveUri()).result);
    expect(down).to.be.instanceOf(ArtifactUnavailableError);
    expect(down.message).to.include(
      'answered 503 Service Unavailable (3 tries without progress, 0 bytes kept)',
    );
  });

  it('evicts the least recently used artifact to stay under the cache limit, never one in use', async () => {
    const a = await store.fetch(archiveUri(), archive.sha256).result;
    const sizeA = await store.cache.usedBytes();
    const limit = sizeA + 1000; // room for one of the two models, not both
    // Another runtime on the same cache (a shared volume) serves the embedder: the sentiment model goes.
    const other = newStore({ maxBytes: limit });
    const b = await other.fetch(`${server.url}/d/embedder/`, directory.sha256).result;
    expect((await other.cache.entries()).map((e) => e.key)).to.deep.equal([b.cacheKey]);
    expect(await metrics.registry.getSingleMetricAsString('runtime_model_cache_evictions_total')).to.match(
      / 1$/m,
    );
    // A runtime keeps what it serves even when the next artifact does not fit beside it.
    const serving = newStore({ maxBytes: limit });
    await serving.fetch(archiveUri(), archive.sha256).result;
    await serving.fetch(`${server.url}/d/embedder/`, directory.sha256).result;
    expect((await serving.cache.entries()).map((e) => e.key)).to.have.members([a.cacheKey, b.cacheKey]);
  });
});
