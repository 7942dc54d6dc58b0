/**
 * Local mode's operator with real runtime processes forked by the supervisor, fetching from real stores on
 * loopback (an HTTP file server that can hold a file mid-way, gofakes3): the ModelVersion status follows the
 * fetch (Downloading → Ready), a store that stays down reads ArtifactUnavailable, each runtime binds its own
 * metrics port.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { pino } from 'pino';
import type { ModelVersionStatus } from '../../../crds/src/index.js';
import { LocalOperator } from '../../../operator/src/local/local-operator.js';
import { ManifestStore } from '../../../operator/src/local/manifest-store.js';
import { RuntimeSupervisor } from '../../../operator/src/local/supervisor.js';
import { archiveOf } from '../../runtime/helpers/artifacts.js';
import { type FileServer, startFileServer } from '../../runtime/helpers/file-server.js';
import { requireS3, type S3Server } from '../../runtime/helpers/s3-server.js';
import { eventually } from '../../support/eventually.js';

const RUNTIME = fileURLToPath(new URL('../../../runtime/src/main.ts', import.meta.url));
const logger = pino({ level: 'silent' });

const manifests = (uri: string, sha256?: string, replicas = 1) => `
apiVersion: ai.paissive.io/v1alpha1
kind: AIModel
metadata: {name: sentiment}
spec: {provider: onnx, capabilities: [text-classification]}
---
apiVersion: ai.paissive.io/v1alpha1
kind: ModelVersion
metadata: {name: sentiment-v1}
spec:
  model: sentiment
  version: v1
  replicas: ${replicas}
  artifact: {uri: "${uri}"${sha256 ? `, sha256: "${sha256}"` : ''}}
`;

interface Local {
  readonly store: ManifestStore;
  readonly supervisor: RuntimeSupervisor;
  readonly operator: LocalOperator;
  /** Every status the version went through, in order. */
  readonly statuses: ModelVersionStatus[];
  status(): ModelVersionStatus | undefined;
  stop(): Promise<void>;
}

async function startLocal(yaml: string, env: Record<string, string>, maxReplicas = 1): Promise<Local> {
  const dir = await mkdtemp(join(tmpdir(), 'local-op-'));
  const cache = await mkdtemp(join(tmpdir(), 'local-cache-'));
  await writeFile(join(dir, 'sentiment.yaml'), yaml);
  const store = new ManifestStore({ dir, logger });
  await store.load();
  const supervisor = new RuntimeSupervisor({
    logger,
    entry: RUNTIME,
    output: 'ignore',
    initialBackoffMs: 200,
    env: { ...process.env, MODEL_CACHE_DIR: cache, LOG_LEVEL: 'warn', ...env },
  });
  const operator = new LocalOperator({ store, supervisor, logger, host: '127.0.0.1', env: {}, maxReplicas });
  const status = () => store.snapshot().modelVersions[0]?.status;
  const statuses: ModelVersionStatus[] = [];
  store.on('status', () => {
    const s = status();
    if (s) statuses.push(s);
  });
  await operator.start();
  return {
    store,
    supervisor,
    operator,
    statuses,
    status,
    async stop() {
      await operator.stop();
      await rm(dir, { recursive: true, force: true });
      await rm(cache, { recursive: true, force: true });
    },
  };
}

const readyReason = (s: ModelVersionStatus | undefined) => s?.conditions?.find((c) => c.type === 'Ready');

describe('operator/local: runtimes fetching remote artifacts (real processes, real stores)', function () {
  this.timeout(90_000);
  let files: FileServer;
  let local: Local | undefined;
  let archive: { bytes: Buffer; sha256: string };

  before(async () => {
    files = await startFileServer();
    archive = await archiveOf('sentiment-v1');
  });
  afterEach(async () => {
    await local?.stop();
    local = undefined;
  });
  after(async () => {
    await files?.close();
  });

  it('shows the fetch in status.artifact: Downloading with bytes while the file is held, then Ready with the digest', async () => {
    files.put('/held/sentiment.tar.gz', archive.bytes);
    files.fault('/held/sentiment.tar.gz', { pauseAfter: 4096, times: 1 });
    local = await startLocal(manifests(`${files.url}/held/sentiment.tar.gz`, archive.sha256), {});
    const downloading = await eventually(async () => {
      const a = local?.status()?.artifact;
      return a?.state === 'Downloading' && a.bytesDownloaded === 4096 ? a : undefined;
    }, 'Downloading 4096 bytes');
    expect(downloading).to.deep.equal({
      state: 'Downloading',
      bytesDownloaded: 4096,
      bytesTotal: archive.bytes.length,
      message: `downloading: 4096 of ${archive.bytes.length} bytes`,
    });
    expect(readyReason(local.status())).to.include({ status: 'False', reason: 'RuntimeStarting' });

    files.resume('/held/sentiment.tar.gz');
    const ready = await eventually(
      async () => (local?.status()?.readyReplicas === 1 ? local.status() : undefined),
      'Ready',
    );
    expect(ready?.artifact).to.deep.equal({ state: 'Ready', digest: archive.sha256 });
    expect(readyReason(ready)).to.include({ status: 'True', reason: 'RuntimeReady' });
    // The whole way, in order: no state went backwards.
    const states = local.statuses.map((s) => s.artifact?.state).filter(Boolean);
    const order = ['Pending', 'Downloading', 'Verifying', 'Ready'];
    expect(states.map((s) => order.indexOf(s as string))).to.satisfy((ix: number[]) =>
      ix.every((v, i) => v >= 0 && (i === 0 || v >= (ix[i - 1] as number))),
    );
    expect(states).to.include.members(['Downloading', 'Verifying', 'Ready']);
  });

  it('gives every runtime its own metrics port (METRICS_PORT=0), reported over IPC', async () => {
    files.put('/two/sentiment.tar.gz', archive.bytes);
    local = await startLocal(manifests(`${files.url}/two/sentiment.tar.gz`, archive.sha256, 2), {}, 2);
    const states = await eventually(async () => {
      const s = local?.supervisor.states() ?? [];
      return s.length === 2 && s.every((r) => r.phase === 'Ready' && r.metricsPort) ? s : undefined;
    }, 'two ready runtimes with metrics ports');
    const ports = states.map((s) => s.metricsPort as number);
    expect(new Set(ports).size).to.equal(2);
    for (const port of ports) {
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).to.equal(200);
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).to.match(
        /runtime_model_download_state\{state="(ready|cached)",model="[^"]+",version="[^"]+"\} 1/,
      );
    }
  });

  it('a store that keeps failing reads ArtifactUnavailable (exit code 5), retried with backoff, and recovers when the store does', async () => {
    files.put('/down/sentiment.tar.gz', archive.bytes);
    files.fault('/down/sentiment.tar.gz', { status: 503, times: 1000 });
    local = await startLocal(manifests(`${files.url}/down/sentiment.tar.gz`, archive.sha256), {
      DOWNLOAD_MAX_ATTEMPTS: '1',
    });
    const failed = await eventually(
      async () =>
        readyReason(local?.status())?.reason === 'ArtifactUnavailable' ? local?.status() : undefined,
      'ArtifactUnavailable',
    );
    expect(failed?.artifact?.state).to.equal('Unavailable');
    expect(failed?.artifact?.message).to.include('ArtifactUnavailable');
    expect(failed?.conditions?.find((c) => c.type === 'Degraded')?.status).to.equal('True');

    files.fault('/down/sentiment.tar.gz', { status: 503, times: 0 });
    const ready = await eventually(
      async () => (local?.status()?.readyReplicas === 1 ? local.status() : undefined),
      'Ready after the store came back',
    );
    expect(ready?.artifact?.state).to.equal('Ready');
    expect(ready?.restarts).to.be.greaterThan(0);
  });

  it('a corrupted artifact reads ArtifactInvalid in the condition and status.artifact (Invalid)', async () => {
    const corrupt = Buffer.from(archive.bytes);
    corrupt[corrupt.length - 100] = (corrupt[corrupt.length - 100] as number) ^ 0xff;
    files.put('/bad/sentiment.tar.gz', corrupt);
    local = await startLocal(manifests(`${files.url}/bad/sentiment.tar.gz`, archive.sha256), {});
    const failed = await eventually(
      async () => (readyReason(local?.status())?.reason === 'ArtifactInvalid' ? local?.status() : undefined),
      'ArtifactInvalid',
    );
    expect(failed?.artifact?.state).to.equal('Invalid');
    expect(failed?.artifact?.message).to.include('sha256 mismatch');
  });

  describe('from S3 (gofakes3)', () => {
    let s3: S3Server;
    before(async function () {
      s3 = await requireS3(this);
    });
    after(async () => {
      await s3?.stop();
    });

    it('fetches with the credentials in the environment: Pending → Downloading → Verifying → Ready', async () => {
      await s3.put('models', 'sentiment/v1.tar.gz', archive.bytes);
      local = await startLocal(manifests('s3://models/sentiment/v1.tar.gz', archive.sha256), s3.env);
      const ready = await eventually(
        async () => (local?.status()?.readyReplicas === 1 ? local.status() : undefined),
        'Ready',
      );
      expect(ready?.artifact).to.deep.equal({ state: 'Ready', digest: archive.sha256 });
      const states = local.statuses.map((s) => s.artifact?.state).filter(Boolean);
      expect([...new Set(states)]).to.deep.equal(['Pending', 'Downloading', 'Verifying', 'Ready']);
    });
  });
});
