/**
 * Artifacts on the real control plane: the model cache volume (emptyDir, a claim the operator creates and
 * binds to a real PersistentVolume, an existing claim), S3 credentials as Secret references, metrics port and
 * drain settings, and download progress in status.artifact.
 *
 * Progress end to end: kwok runs no containers, but it keeps a pod status written to it. The test writes the
 * status a kubelet would for a runtime that runs but is not ready yet, with the pod IP 127.0.0.1, and serves a
 * real runtime on 127.0.0.1 at the port the pod names (spec.runtime.port). The operator, a separate process,
 * probes it over gRPC while a real HTTP file server holds the artifact mid-file.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { RuntimeServer } from '../../../runtime/src/server/server.js';
import { archiveOf } from '../../runtime/helpers/artifacts.js';
import { type FileServer, startFileServer } from '../../runtime/helpers/file-server.js';
import {
  applyCrds,
  type ClusterEnv,
  createNamespace,
  deleteNamespace,
  getJson,
  kubectl,
  kubectlResult,
  mergePatch,
  type OperatorProcess,
  ROOT,
  requireCluster,
  startOperator,
} from '../../support/cluster.js';
import { eventually } from '../../support/eventually.js';
import { crashLoop, createContainerConfigError, downloading, model, version } from './fixtures.js';
import { HELD_BYTES, startHeldRuntime } from './held-runtime.js';

describe('operator/kube: artifacts, model cache and download progress on a real control plane', function () {
  this.timeout(120_000);
  let env: ClusterEnv;
  let ns: string;
  let operator: OperatorProcess;
  let dir: string;
  let files: FileServer;
  let runtime: RuntimeServer | undefined;
  let loading: Promise<void> | undefined;
  let archive: { bytes: Buffer; sha256: string };
  const pv = `paissive-test-${process.pid}`;

  const apply = (yaml: string) => kubectl(env, ['apply', '-n', ns, '-f', '-'], yaml);
  const mv = (name: string) => getJson(env, ['get', 'modelversion', name, '-n', ns]);
  const ready = (obj: any) => obj.status?.conditions?.find((c: any) => c.type === 'Ready');
  const until = <T>(what: string, check: () => Promise<T | undefined>, ms = 60_000) =>
    eventually(check, what, ms);
  const podsOf = async (name: string) =>
    (
      (await getJson(env, ['get', 'pods', '-n', ns, '-l', `ai.paissive.io/modelversion=${name}`]))
        .items as any[]
    ).filter((p) => !p.metadata.deletionTimestamp);
  const patchPodStatus = (pod: string, status: unknown) =>
    mergePatch(env, { kind: 'pod', name: pod, namespace: ns, subresource: 'status' }, status);
  const deployment = (name: string) => getJson(env, ['get', 'deployment', name, '-n', ns]);

  before(async function () {
    env = requireCluster(this);
    await applyCrds(env);
    ns = await createNamespace(env, 'artifacts');
    dir = await mkdtemp(join(tmpdir(), 'artifacts-'));
    files = await startFileServer();
    archive = await archiveOf('sentiment-v1');
    const config = join(dir, 'operator.yaml');
    await writeFile(
      config,
      JSON.stringify({
        downloadProbe: { intervalSeconds: 0.5, timeoutMs: 1000 },
        s3: { endpoint: 'http://minio.minio:9000', forcePathStyle: true },
      }),
    );
    await apply(model('sentiment', 'provider: onnx\ncapabilities: [text-classification]'));
    operator = await startOperator(env, ns, { OPERATOR_CONFIG: config });
  });
  after(async () => {
    await operator?.stop();
    files?.resume('/held.tar.gz');
    await loading?.catch(() => undefined);
    await runtime?.shutdown(0);
    await files?.close();
    if (ns) await deleteNamespace(env, ns);
    if (env) await kubectl(env, ['delete', 'pv', pv, '--ignore-not-found', '--wait=false']);
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('shows a pod fetching its artifact in status.artifact (probed over gRPC), then Ready with the digest', async () => {
    const held = await startHeldRuntime({
      files,
      path: '/held.tar.gz',
      archive,
      cacheDir: join(dir, 'cache'),
    });
    runtime = held.server;
    const port = held.port;
    loading = held.loading;

    await apply(
      version(
        'sentiment-v1',
        'sentiment',
        `version: v1\nartifact: {uri: "${files.url}/held.tar.gz", sha256: "${archive.sha256}"}\nruntime: {port: ${port}}`,
      ),
    );
    const [pod] = await until('a scheduled pod', async () => {
      const pods = await podsOf('sentiment-v1');
      return pods[0]?.status?.podIP ? pods : undefined;
    });
    // What a kubelet reports while the runtime fetches: running, not ready; the pod's IP is where it listens.
    await patchPodStatus(pod.metadata.name, downloading('127.0.0.1'));

    const fetching = await until('Downloading the held bytes', async () => {
      const s = (await mv('sentiment-v1')).status;
      return s?.artifact?.state === 'Downloading' && s.artifact.bytesDownloaded === HELD_BYTES
        ? s
        : undefined;
    });
    expect(fetching.artifact).to.deep.equal({
      state: 'Downloading',
      bytesDownloaded: HELD_BYTES,
      bytesTotal: archive.bytes.length,
      message: `downloading: ${HELD_BYTES} of ${archive.bytes.length} bytes`,
    });
    expect(ready({ status: fetching })).to.include({ status: 'False', reason: 'RuntimeStarting' });

    files.resume('/held.tar.gz');
    await loading;
    const fetched = await until('artifact Ready', async () => {
      const s = (await mv('sentiment-v1')).status;
      return s?.artifact?.state === 'Ready' ? s : undefined;
    });
    expect(fetched.artifact).to.deep.equal({ state: 'Ready', digest: archive.sha256 });

    // The readiness probe passes now: the kubelet marks the pod ready.
    await patchPodStatus(pod.metadata.name, {
      status: {
        conditions: [
          { type: 'ContainersReady', status: 'True' },
          { type: 'Ready', status: 'True' },
        ],
        containerStatuses: [{ ...downloading('127.0.0.1').status.containerStatuses[0], ready: true }],
      },
    });
    await until('RuntimeReady', async () =>
      ready(await mv('sentiment-v1'))?.reason === 'RuntimeReady' ? true : undefined,
    );
    expect((await mv('sentiment-v1')).status.artifact).to.deep.equal({
      state: 'Ready',
      digest: archive.sha256,
    });
  });

  it('exposes the metrics port on the pod and the Service and sets drain and termination above it', async () => {
    const template = (await deployment('sentiment-v1')).spec.template;
    expect(template.metadata.annotations).to.deep.equal({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8002',
      'prometheus.io/path': '/metrics',
    });
    const spec = template.spec;
    const container = spec.containers[0];
    expect(container.ports.map((p: any) => p.name)).to.deep.equal(['grpc', 'metrics']);
    expect(container.ports[1].containerPort).to.equal(8002);
    const values = Object.fromEntries(container.env.map((e: any) => [e.name, e.value]));
    expect(values).to.include({ METRICS_PORT: '8002', DRAIN_DELAY_SECONDS: '5', DRAIN_GRACE_SECONDS: '20' });
    expect(spec.terminationGracePeriodSeconds).to.equal(30);
    const service = await getJson(env, ['get', 'service', 'sentiment-v1', '-n', ns]);
    expect(service.spec.ports.map((p: any) => [p.name, p.port])).to.deep.include(['metrics', 8002]);
  });

  it('reads a runtime that exits 5 as ArtifactUnavailable (status.artifact Unavailable)', async () => {
    await apply(
      version('sentiment-v2', 'sentiment', 'version: v2\nartifact: {uri: "https://models.example/s.tgz"}'),
    );
    const [pod] = await until('a pod', async () => {
      const pods = await podsOf('sentiment-v2');
      return pods.length ? pods : undefined;
    });
    await patchPodStatus(
      pod.metadata.name,
      crashLoop(
        5,
        'ArtifactUnavailable: cannot fetch https://models.example/s.tgz: 503 (5 tries without progress)',
      ),
    );
    const status = await until('ArtifactUnavailable', async () => {
      const s = (await mv('sentiment-v2')).status;
      return ready({ status: s })?.reason === 'ArtifactUnavailable' ? s : undefined;
    });
    expect(status.artifact.state).to.equal('Unavailable');
    expect(status.artifact.message).to.include('5 tries without progress');
  });

  it('passes S3 credentials as Secret references only, and reads a missing Secret as CredentialsMissing', async () => {
    await apply(
      version(
        'sentiment-v3',
        'sentiment',
        'version: v3\nartifact: {uri: "s3://models/sentiment.tar.gz", credentialsSecret: {name: s3-credentials}}',
      ),
    );
    const d = await until('the Deployment', async () => {
      const r = await kubectlResult(env, ['get', 'deployment', 'sentiment-v3', '-n', ns, '-o', 'json']);
      return r.ok ? JSON.parse(r.output) : undefined;
    });
    const containerEnv = d.spec.template.spec.containers[0].env as any[];
    const aws = containerEnv.filter((e) => e.name.startsWith('AWS_'));
    expect(aws.map((e) => e.name)).to.deep.equal([
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
    ]);
    for (const e of aws) {
      expect(e.value, e.name).to.equal(undefined);
      expect(e.valueFrom.secretKeyRef.name).to.equal('s3-credentials');
    }
    expect(containerEnv).to.deep.include({ name: 'S3_ENDPOINT', value: 'http://minio.minio:9000' });

    const [pod] = await podsOf('sentiment-v3');
    await patchPodStatus(pod.metadata.name, createContainerConfigError('secret "s3-credentials" not found'));
    const status = await until('CredentialsMissing', async () => {
      const s = (await mv('sentiment-v3')).status;
      return ready({ status: s })?.reason === 'CredentialsMissing' ? s : undefined;
    });
    expect(ready({ status }).message).to.include('secret "s3-credentials" not found');
  });

  it('keeps the cache on a claim it creates (owned by the version, bound to a real PV), replaced with Recreate', async () => {
    const storageClass = `manual-${ns}`;
    await kubectl(
      env,
      ['apply', '-f', '-'],
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'PersistentVolume',
        metadata: { name: pv },
        spec: {
          capacity: { storage: '1Gi' },
          accessModes: ['ReadWriteOnce'],
          storageClassName: storageClass,
          hostPath: { path: `/tmp/${pv}` },
        },
      }),
    );
    await apply(
      version(
        'sentiment-v4',
        'sentiment',
        `version: v4\nartifact: {uri: "https://models.example/s.tgz"}\ncache: {sizeLimit: 1Gi, persistentVolumeClaim: {storageClassName: ${storageClass}}}`,
      ),
    );
    const claim = await until('the claim bound', async () => {
      const r = await kubectlResult(env, ['get', 'pvc', 'sentiment-v4-model-cache', '-n', ns, '-o', 'json']);
      const c = r.ok ? JSON.parse(r.output) : undefined;
      return c?.status?.phase === 'Bound' ? c : undefined;
    });
    expect(claim.spec).to.deep.include({ accessModes: ['ReadWriteOnce'], storageClassName: storageClass });
    expect(claim.spec.resources.requests.storage).to.equal('1Gi');
    expect(claim.metadata.ownerReferences[0]).to.include({
      kind: 'ModelVersion',
      name: 'sentiment-v4',
      controller: true,
    });
    const d = await deployment('sentiment-v4');
    expect(d.spec.strategy.type).to.equal('Recreate');
    expect(d.spec.template.spec.volumes[0]).to.deep.equal({
      name: 'model-cache',
      persistentVolumeClaim: { claimName: 'sentiment-v4-model-cache' },
    });
    // Scheduled (the claim is bound), so kwok runs it and it reads Ready.
    await until('sentiment-v4 Ready', async () =>
      ready(await mv('sentiment-v4'))?.reason === 'RuntimeReady' ? true : undefined,
    );

    // Back to an emptyDir: the claim nobody mounts any more is deleted.
    await apply(
      version(
        'sentiment-v4',
        'sentiment',
        'version: v4\nartifact: {uri: "https://models.example/s.tgz"}\ncache: {}',
      ),
    );
    await until('the claim gone', async () => {
      const r = await kubectlResult(env, ['get', 'pvc', 'sentiment-v4-model-cache', '-n', ns, '-o', 'json']);
      return !r.ok || JSON.parse(r.output).metadata.deletionTimestamp ? true : undefined;
    });
    const after = await deployment('sentiment-v4');
    expect(after.spec.strategy.type).to.equal('RollingUpdate');
    expect(after.spec.template.spec.volumes[0]).to.deep.equal({ name: 'model-cache', emptyDir: {} });
  });

  it('switches a rolling version to a ReadWriteOnce claim (RollingUpdate → Recreate) without an apply failure', async () => {
    await apply(
      version(
        'sentiment-v1',
        'sentiment',
        `version: v1\nartifact: {uri: "${files.url}/held.tar.gz", sha256: "${archive.sha256}"}\ncache: {persistentVolumeClaim: {claimName: existing-cache}}`,
      ),
    );
    const d = await until('Recreate', async () => {
      const x = await deployment('sentiment-v1');
      return x.spec.strategy.type === 'Recreate' ? x : undefined;
    });
    expect(d.spec.template.spec.volumes[0].persistentVolumeClaim).to.deep.equal({
      claimName: 'existing-cache',
    });
    expect(ready(await mv('sentiment-v1'))?.reason).to.not.equal('ApplyFailed');
    const claims = await getJson(env, ['get', 'pvc', '-n', ns]);
    expect(claims.items.map((c: any) => c.metadata.name)).to.not.include('existing-cache');
  });

  it('the API server refuses a ReadWriteOnce claim for two replicas and credentials on an https artifact (CEL)', async () => {
    const rwo = await kubectlResult(
      env,
      ['apply', '-n', ns, '-f', '-'],
      version('bad-v1', 'sentiment', 'version: b1\nreplicas: 2\ncache: {persistentVolumeClaim: {}}'),
    );
    expect(rwo.ok).to.equal(false);
    expect(rwo.output).to.include('a ReadWriteOnce cache claim serves one replica');
    const https = await kubectlResult(
      env,
      ['apply', '-n', ns, '-f', '-'],
      version(
        'bad-v2',
        'sentiment',
        'version: b2\nartifact: {uri: "https://x/m.tgz", credentialsSecret: {name: s3}}',
      ),
    );
    expect(https.ok).to.equal(false);
    expect(https.output).to.include('credentialsSecret is for s3:// artifacts only');
  });

  it("accepts docs/operator.md's S3 example (a credentials Secret and a created cache claim)", async () => {
    const doc = await readFile(join(ROOT, 'docs/operator.md'), 'utf8');
    const example = [...doc.matchAll(/```yaml\n([\s\S]*?)```/g)]
      .map((m) => m[1] as string)
      .find((y) => y.includes('credentialsSecret'));
    expect(example, 'the S3 example in docs/operator.md').to.be.a('string');
    const result = await kubectlResult(env, ['apply', '--dry-run=server', '-n', ns, '-f', '-'], example);
    expect(result.ok, result.output).to.equal(true);
    expect(result.output).to.include('secret/s3-models created (server dry run)');
    // sentiment-v2 exists already (the exit code 5 case): the example would reconfigure it.
    expect(result.output).to.match(/modelversion\.ai\.paissive\.io\/sentiment-v2 (created|configured)/);
  });
});
