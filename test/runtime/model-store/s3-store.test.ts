import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ArtifactInvalidError } from '../../../runtime/src/errors.js';
import {
  type ArchiveArtifact,
  archiveOf,
  type DirectoryArtifact,
  directoryOf,
} from '../helpers/artifacts.js';
import { startCuttingProxy } from '../helpers/cutting-proxy.js';
import { startRuntime, type TestRuntime } from '../helpers/runtime.js';
import { requireS3, type S3Server } from '../helpers/s3-server.js';

describe('model store on a real S3-compatible server (gofakes3)', () => {
  let s3: S3Server;
  let archive: ArchiveArtifact;
  let directory: DirectoryArtifact;
  let cacheDir: string;
  const runtimes: TestRuntime[] = [];

  before(async function () {
    s3 = await requireS3(this);
    [archive, directory] = await Promise.all([
      archiveOf('sentiment-v1'),
      directoryOf('sentence-embedder-v1'),
    ]);
    await s3.put('models', 'sentiment/v1/model.tar.gz', archive.bytes);
    for (const [path, bytes] of directory.files) await s3.put('models', `embedder/v1/${path}`, bytes);
    const corrupt = Buffer.from(archive.bytes);
    corrupt[100] = (corrupt[100] as number) ^ 0x01;
    await s3.put('models', 'sentiment/bad/model.tar.gz', corrupt);
  });
  after(async () => {
    await Promise.all(runtimes.map((r) => r.stop()));
    await s3?.stop();
  });
  beforeEach(async () => {
    cacheDir = await mkdtemp(join(tmpdir(), 'runtime-s3-cache-'));
  });
  afterEach(() => rm(cacheDir, { recursive: true, force: true }));

  const start = async (model: 'sentiment-v1' | 'sentence-embedder-v1', uri: string, sha256?: string) => {
    const rt = await startRuntime(model, {
      uri,
      ...(sha256 ? { sha256 } : {}),
      env: { ...s3.env, MODEL_CACHE_DIR: cacheDir, DOWNLOAD_MAX_ATTEMPTS: '2' },
    });
    runtimes.push(rt);
    return rt;
  };

  it('serves an archive from s3:// after verifying it, and reports the fetch in ModelMetadata', async () => {
    const rt = await start('sentiment-v1', 's3://models/sentiment/v1/model.tar.gz', archive.sha256);
    const { results } = await rt.client.classify({ model: 'sentiment', texts: ['what a lovely kind robot'] });
    expect(results[0]?.label).to.equal('POSITIVE');
    const metadata = await rt.client.modelMetadata('sentiment');
    expect(metadata.download).to.deep.equal({
      state: 'ready',
      bytesDownloaded: archive.bytes.length,
      bytesTotal: archive.bytes.length,
    });
    const downloaded = await rt.server.metrics.registry.getSingleMetricAsString(
      'runtime_model_download_bytes_total',
    );
    expect(downloaded).to.include(
      `runtime_model_download_bytes_total{model="sentiment",version="v1"} ${archive.bytes.length}`,
    );
  });

  it('serves a directory (every object under a prefix) and checks its manifest digest', async () => {
    const rt = await start('sentence-embedder-v1', 's3://models/embedder/v1', directory.sha256);
    const { embeddings } = await rt.client.embed({ model: 'sentence-embedder', texts: ['the cat sat'] });
    expect(embeddings[0]).to.have.length(48);
  });

  it('reloads from the cache without fetching again', async () => {
    const rt = await start('sentiment-v1', 's3://models/sentiment/v1/model.tar.gz', archive.sha256);
    await rt.client.loadModel('sentiment');
    expect((await rt.client.modelMetadata('sentiment')).download?.state).to.equal('cached');
    const hits = await rt.server.metrics.registry.getSingleMetricAsString('runtime_model_cache_hits_total');
    expect(hits).to.include('runtime_model_cache_hits_total{model="sentiment",version="v1"} 1');
  });

  it('refuses a corrupted archive with ArtifactInvalid: the runtime never serves it', async () => {
    const error = await start('sentiment-v1', 's3://models/sentiment/bad/model.tar.gz', archive.sha256).then(
      () => expect.fail('a corrupted artifact loaded'),
      (e: unknown) => e as Error,
    );
    expect(error).to.be.instanceOf(ArtifactInvalidError);
    expect(error.message).to.include(
      `sha256 mismatch for s3://models/sentiment/bad/model.tar.gz: expected ${archive.sha256}`,
    );
  });

  it('answers a missing object with ArtifactInvalid, which no retry can fix', async () => {
    const rt = await start('sentiment-v1', 's3://models/sentiment/v1/model.tar.gz', archive.sha256);
    const error = await rt.server.store.fetch('s3://models/nope.tar.gz').result.then(
      () => expect.fail('a missing object resolved'),
      (e: unknown) => e as Error,
    );
    expect(error).to.be.instanceOf(ArtifactInvalidError);
    expect(error.message).to.match(/HEAD s3:\/\/models\/nope\.tar\.gz: (NotFound|NoSuchKey)/);
  });

  it('resumes an object download cut mid-way with a ranged GET that insists on the same ETag', async () => {
    const proxy = await startCuttingProxy(Number(new URL(s3.endpoint).port), {
      match: /^GET \/models\/sentiment\/v1\/model\.tar\.gz/,
      cutAfter: 12_000,
      times: 1,
    });
    try {
      const rt = await startRuntime('sentiment-v1', {
        uri: 's3://models/sentiment/v1/model.tar.gz',
        sha256: archive.sha256,
        env: { ...s3.env, S3_ENDPOINT: `http://127.0.0.1:${proxy.port}`, MODEL_CACHE_DIR: cacheDir },
      });
      runtimes.push(rt);
      const gets = proxy.requests.filter((r) => r.line.startsWith('GET /models/sentiment/v1/model.tar.gz'));
      expect(gets).to.have.length(2);
      expect(gets[0]?.range).to.equal(undefined);
      expect(gets[1]?.range).to.match(/^bytes=\d+-$/);
      expect(gets[1]?.ifMatch).to.match(/^"[0-9a-f]+"$/);
      expect((await rt.client.modelMetadata('sentiment')).download?.bytesDownloaded).to.equal(
        archive.bytes.length,
      );
      expect(
        (await rt.client.classify({ model: 'sentiment', texts: ['a lovely day'] })).results,
      ).to.have.length(1);
    } finally {
      await proxy.close();
    }
  });
});
