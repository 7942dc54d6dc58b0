import { appendFile, cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClientReadableStream, credentials } from '@grpc/grpc-js';
import { expect } from 'chai';
import { artifactDigest } from '../../../runtime/src/model-store/digest.js';
import { healthClientConstructor } from '../../../runtime/src/protocol/proto.js';
import type { HealthCheckResponse } from '../../../runtime/src/protocol/types.js';
import { expectCallError, modelDir, startRuntime, type TestRuntime } from '../helpers/runtime.js';

async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('model repository RPCs (a verified copy of story-writer-v1)', () => {
  let root: string;
  let dir: string;
  let rt: TestRuntime;
  const target = {
    model: 'story-writer',
    prompt: 'The farmer had three white goats.',
    maxTokens: 5,
    temperature: 0,
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'runtime-repository-'));
    dir = join(root, 'story-writer-v1');
    await cp(modelDir('story-writer-v1'), dir, { recursive: true });
    rt = await startRuntime('story-writer-v1', { dir, sha256: await artifactDigest(dir) });
  });
  after(async () => {
    await rt?.stop();
    await rm(root, { recursive: true, force: true });
  });

  it('lists the one model as READY', async () => {
    expect(await rt.client.repositoryIndex()).to.deep.equal([
      { name: 'story-writer', version: 'v1', state: 'READY', reason: '' },
    ]);
  });

  it('reloads a valid artifact and keeps answering the same', async () => {
    const before = await rt.client.generate(target);
    await rt.client.loadModel('story-writer');
    expect(await rt.client.generate(target)).to.deep.equal(before);
    expect((await rt.client.repositoryIndex())[0]).to.include({ state: 'READY', reason: '' });
  });

  it('refuses a tampered artifact with FAILED_PRECONDITION ArtifactInvalid, and keeps serving the old load', async () => {
    const file = join(dir, 'tokenizer_config.json');
    const original = await readFile(file);
    await appendFile(file, ' ');
    try {
      const error = await expectCallError(
        rt.client.loadModel('story-writer'),
        'FAILED_PRECONDITION',
        `sha256 mismatch for ${dir}: expected ${rt.config.artifactSha256}, actual `,
      );
      expect(error.message.startsWith('ArtifactInvalid: ')).to.equal(true);
      expect(error.retryable).to.equal(false);
      expect(await rt.client.modelReady('story-writer')).to.equal(true);
      expect((await rt.client.generate(target)).text).to.not.equal('');
      expect((await rt.client.repositoryIndex())[0]?.reason).to.include(
        'reload failed, still serving the previous load',
      );
    } finally {
      await writeFile(file, original);
    }
    await rt.client.loadModel('story-writer');
    expect((await rt.client.repositoryIndex())[0]).to.include({ state: 'READY', reason: '' });
  });

  it('unloads: health and readiness drop, inference is UNAVAILABLE, Watch streams see it; a load brings it back', async () => {
    const Health = healthClientConstructor();
    const health = new Health(`127.0.0.1:${rt.port}`, credentials.createInsecure());
    const seen: string[] = [];
    const watch = (
      health as unknown as { Watch(request: object): ClientReadableStream<HealthCheckResponse> }
    ).Watch({ service: 'story-writer' });
    watch.on('data', (message: HealthCheckResponse) => seen.push(message.status));
    watch.on('error', () => undefined);
    try {
      await waitFor(() => seen.length === 1, 'the first Watch message');
      await rt.client.unloadModel('story-writer');
      expect(await rt.client.modelReady('story-writer')).to.equal(false);
      expect(await rt.client.serverReady()).to.equal(false);
      expect(await rt.client.health()).to.equal('NOT_SERVING');
      expect(await rt.client.repositoryIndex()).to.deep.equal([
        { name: 'story-writer', version: 'v1', state: 'UNAVAILABLE', reason: 'unloaded' },
      ]);
      const error = await expectCallError(rt.client.generate(target), 'UNAVAILABLE', 'ModelNotReady:');
      expect(error.retryable).to.equal(true);
      await expectCallError(rt.client.modelMetadata('story-writer'), 'UNAVAILABLE', 'unloaded');

      await rt.client.loadModel('story-writer');
      expect(await rt.client.health('story-writer')).to.equal('SERVING');
      await waitFor(() => seen.length === 3, 'Watch to report the reload');
      expect(seen).to.deep.equal(['SERVING', 'NOT_SERVING', 'SERVING']);
    } finally {
      watch.cancel();
      health.close();
    }
  });
});
