/**
 * The operator against the real control plane `make test` starts: real kube-apiserver, controller manager
 * and scheduler, kwok nodes (two tainted GPU nodes, one CPU node). CRDs and examples go in with kubectl.
 */
import { join } from 'node:path';
import { expect } from 'chai';
import {
  applyCrds,
  type ClusterEnv,
  createNamespace,
  deleteNamespace,
  getJson,
  kubectl,
  kubectlResult,
  type OperatorProcess,
  ROOT,
  requireCluster,
  startOperator,
  table,
} from '../../support/cluster.js';
import { eventually } from '../../support/eventually.js';
import { crashLoop, imagePullBackOff, model, secret, version } from './fixtures.js';

describe('operator/kube: reconciling AIModels and ModelVersions on a real control plane', function () {
  this.timeout(120_000);
  let env: ClusterEnv;
  let ns: string;
  let operator: OperatorProcess;

  const mv = (name: string) => getJson(env, ['get', 'modelversion', name, '-n', ns]);
  const readyReason = (obj: any): string | undefined =>
    obj.status?.conditions?.find((c: any) => c.type === 'Ready')?.reason;
  const until = <T>(what: string, check: () => Promise<T | undefined>, ms = 60_000) =>
    eventually(check, what, ms);
  const reasonOf = async (name: string) => readyReason(await mv(name));
  const podsOf = async (name: string) =>
    (await getJson(env, ['get', 'pods', '-n', ns, '-l', `ai.paissive.io/modelversion=${name}`]))
      .items as any[];
  const apply = (yaml: string) => kubectl(env, ['apply', '-n', ns, '-f', '-'], yaml);

  before(async function () {
    env = requireCluster(this);
    await applyCrds(env);
    ns = await createNamespace(env, 'op');
    await apply(secret(ns));
    await kubectl(env, ['apply', '-n', ns, '-f', join(ROOT, 'examples')]);
    operator = await startOperator(env, ns);
  });
  after(async () => {
    await operator?.stop();
    if (ns) await deleteNamespace(env, ns);
  });

  it('reconciles every example into a Deployment and a Service, and every version becomes Ready', async () => {
    const names = ['story-writer-v2', 'story-writer-v1', 'sentiment-v1', 'sentence-embedder-v1'];
    for (const name of names)
      await until(`${name} Ready`, async () =>
        (await reasonOf(name)) === 'RuntimeReady' ? true : undefined,
      );
    const deployments = await getJson(env, ['get', 'deployments', '-n', ns]);
    expect(deployments.items.map((d: any) => d.metadata.name).sort()).to.deep.equal([...names].sort());
    const service = await getJson(env, ['get', 'service', 'story-writer-v2', '-n', ns]);
    expect(service.spec.clusterIP).to.equal('None');
    expect(service.spec.ports[0]).to.include({ port: 8001, appProtocol: 'grpc' });
    const owner = deployments.items[0].metadata.ownerReferences[0];
    expect(owner).to.include({ kind: 'ModelVersion', controller: true, blockOwnerDeletion: true });
    const status = (await mv('story-writer-v2')).status;
    expect(status).to.include({
      ready: '2/2',
      readyReplicas: 2,
      replicas: 2,
      protocol: 'oip-v2',
      endpoint: `story-writer-v2.${ns}.svc:8001`,
    });
    expect(status.observedGeneration).to.equal((await mv('story-writer-v2')).metadata.generation);
  });

  it('gives GPU versions nvidia.com/gpu limits, the profile node selector and the GPU toleration; keeps CPU versions off GPU nodes', async () => {
    const gpu = await getJson(env, ['get', 'deployment', 'story-writer-v2', '-n', ns]);
    const pod = gpu.spec.template.spec;
    expect(pod.containers[0].resources.limits).to.include({ 'nvidia.com/gpu': '1', memory: '4Gi' });
    expect(pod.nodeSelector).to.deep.equal({ 'nvidia.com/gpu.product': 'NVIDIA-L4' });
    expect(pod.tolerations).to.deep.include({
      key: 'nvidia.com/gpu',
      operator: 'Exists',
      effect: 'NoSchedule',
    });
    expect(pod.containers[0].readinessProbe.grpc.port).to.equal(8001);
    const env0 = Object.fromEntries(pod.containers[0].env.map((e: any) => [e.name, e.value]));
    expect(env0).to.include({ MODEL_NAME: 'story-writer', MODEL_VERSION: 'v2', GRPC_PORT: '8001' });
    expect(env0.MODEL_ARTIFACT_SHA256).to.match(/^[0-9a-f]{64}$/);

    const cpu = (await getJson(env, ['get', 'deployment', 'sentiment-v1', '-n', ns])).spec.template.spec;
    expect(cpu.containers[0].resources.limits ?? {}).to.not.have.property('nvidia.com/gpu');
    expect(cpu.tolerations).to.equal(undefined);
    expect(
      cpu.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0]
        .matchExpressions,
    ).to.deep.equal([{ key: 'nvidia.com/gpu.present', operator: 'DoesNotExist' }]);
  });

  it('the scheduler puts GPU pods on the L4 node only and CPU pods on the CPU node', async () => {
    const gpuPods = await podsOf('story-writer-v2');
    expect(gpuPods.map((p) => p.spec.nodeName)).to.deep.equal(['gpu-l4-1', 'gpu-l4-1']);
    for (const name of ['sentiment-v1', 'sentence-embedder-v1', 'story-writer-v1']) {
      for (const p of await podsOf(name)) {
        expect(p.spec.nodeName, name).to.equal('cpu-1');
        expect(p.status.phase).to.equal('Running');
      }
    }
  });

  it('kubectl get aimodels and modelversions show the printer columns', async () => {
    await until('story-writer model ready', async () => {
      const row = (await table(env, ns, 'aimodels')).find((r) => r.NAME === 'story-writer');
      return row?.READY === '2/2' ? row : undefined;
    });
    const models = Object.fromEntries((await table(env, ns, 'aimodels')).map((r) => [r.NAME, r]));
    expect(Object.keys(models['story-writer'] ?? {})).to.deep.equal([
      'NAME',
      'PROVIDER',
      'DEFAULT',
      'READY',
      'REASON',
      'AGE',
    ]);
    expect(models['story-writer']).to.include({
      PROVIDER: 'onnx',
      DEFAULT: 'v2',
      READY: '2/2',
      REASON: 'VersionsReady',
    });
    expect(models.sentiment).to.include({
      PROVIDER: 'onnx',
      DEFAULT: 'v1',
      READY: '1/1',
      REASON: 'VersionsReady',
    });
    expect(models['gpt-4o-mini']).to.include({
      PROVIDER: 'openai',
      READY: '0/0',
      REASON: 'ExternalEndpoint',
    });

    const versions = Object.fromEntries((await table(env, ns, 'modelversions')).map((r) => [r.NAME, r]));
    expect(Object.keys(versions['story-writer-v2'] ?? {})).to.deep.equal([
      'NAME',
      'MODEL',
      'VERSION',
      'GPU',
      'READY',
      'REPLICAS',
      'REASON',
      'AGE',
    ]);
    expect(versions['story-writer-v2']).to.include({
      MODEL: 'story-writer',
      VERSION: 'v2',
      GPU: '1',
      READY: '2/2',
      REPLICAS: '2',
      REASON: 'RuntimeReady',
    });
    expect(versions['sentiment-v1']).to.include({
      MODEL: 'sentiment',
      GPU: '',
      READY: '1/1',
      REPLICAS: '1',
      REASON: 'RuntimeReady',
    });
  });

  it('records Kubernetes Events for what it did', async () => {
    const events = (await getJson(env, ['get', 'events', '-n', ns])).items as any[];
    const mine = events.filter((e) => e.source?.component === 'paissive-operator');
    expect(
      mine.map((e) => `${e.involvedObject.kind}/${e.involvedObject.name} ${e.reason}: ${e.message}`),
    ).to.include.members([
      'ModelVersion/story-writer-v2 Created: Created Deployment and Service story-writer-v2',
    ]);
    expect(mine.some((e) => e.involvedObject.kind === 'AIModel' && e.reason === 'Ready')).to.equal(true);
  });

  it('a second pass over everything makes no writes', async () => {
    const reconciles = async () => {
      let n = 0;
      for (const [k, v] of await operator.metrics()) if (k.startsWith('operator_reconcile_total{')) n += v;
      return n;
    };
    const before = { writes: await operator.writes(), reconciles: await reconciles() };
    // Touching metadata (not spec) makes every object come round the work queue again.
    await kubectl(env, ['annotate', '-n', ns, 'modelversions,aimodels', '--all', `touched=${Date.now()}`]);
    await until('every object reconciled again', async () =>
      (await reconciles()) >= before.reconciles + 8 ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(await operator.writes()).to.equal(before.writes);
  });

  it('restores a deleted Deployment', async () => {
    const uid = (await getJson(env, ['get', 'deployment', 'sentiment-v1', '-n', ns])).metadata.uid;
    await kubectl(env, ['delete', 'deployment', 'sentiment-v1', '-n', ns]);
    await until('deployment restored', async () => {
      const res = await kubectlResult(env, ['get', 'deployment', 'sentiment-v1', '-n', ns, '-o', 'json']);
      return res.ok && JSON.parse(res.output).metadata.uid !== uid ? true : undefined;
    });
    await until('sentiment-v1 Ready again', async () =>
      (await reasonOf('sentiment-v1')) === 'RuntimeReady' ? true : undefined,
    );
  });

  it('follows a replica change: the Deployment scales and READY reads 3/3', async () => {
    await kubectl(env, [
      'patch',
      'modelversion',
      'sentence-embedder-v1',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"replicas":3}}',
    ]);
    await until('3/3', async () =>
      (await mv('sentence-embedder-v1')).status?.ready === '3/3' ? true : undefined,
    );
    expect(
      (await getJson(env, ['get', 'deployment', 'sentence-embedder-v1', '-n', ns])).spec.replicas,
    ).to.equal(3);
  });

  it('reports Unschedulable when a version asks for more GPUs than any node has', async () => {
    await apply(
      version(
        'story-writer-v3',
        'story-writer',
        'version: v3\nartifact: {uri: "s3://models/story-writer/v3.tar.gz"}\nresources: {gpu: {count: 16, type: nvidia-a100-80gb}}',
      ),
    );
    await until('Unschedulable', async () =>
      (await reasonOf('story-writer-v3')) === 'Unschedulable' ? true : undefined,
    );
    const row = (await table(env, ns, 'modelversions')).find((r) => r.NAME === 'story-writer-v3');
    expect(row).to.include({ GPU: '16', READY: '0/1', REASON: 'Unschedulable' });
    const ready = (await mv('story-writer-v3')).status.conditions.find((c: any) => c.type === 'Ready');
    expect(ready.message).to.include('Insufficient nvidia.com/gpu');
    const warnings = (
      await getJson(env, [
        'get',
        'events',
        '-n',
        ns,
        '--field-selector',
        'involvedObject.name=story-writer-v3,type=Warning',
      ])
    ).items;
    expect(warnings.map((e: any) => e.reason)).to.include('Unschedulable');
    // Not the default: the model stays Ready on v2 and says it in the rollup.
    await until('the rollup counts v3', async () => {
      const row = (await table(env, ns, 'aimodels')).find((r) => r.NAME === 'story-writer');
      return row?.READY === '2/3' ? row : undefined;
    });
  });

  it('names the version that holds an AIModel back when its default is not ready', async () => {
    await apply(model('big', 'provider: onnx\ncapabilities: [text-generation]'));
    await apply(
      version(
        'big-v1',
        'big',
        'version: v1\ndefault: true\nartifact: {uri: "s3://models/big.tar.gz"}\nresources: {gpu: {count: 9, type: nvidia-a100-80gb}}',
      ),
    );
    const row = await until('big held back', async () => {
      const r = (await table(env, ns, 'aimodels')).find((x) => x.NAME === 'big');
      return r?.REASON === 'v1:Unschedulable' ? r : undefined;
    });
    expect(row).to.include({ DEFAULT: 'v1', READY: '0/1' });
  });

  it('reads a runtime that exits on a bad artifact as ArtifactInvalid, from its termination message', async () => {
    const [pod] = await podsOf('story-writer-v1');
    await kubectl(env, [
      'patch',
      'pod',
      pod.metadata.name,
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(
        crashLoop(3, 'ArtifactInvalid: sha256 mismatch for s3://models/x: expected 1f2e…, actual 9a8b…'),
      ),
    ]);
    await until('ArtifactInvalid', async () =>
      (await reasonOf('story-writer-v1')) === 'ArtifactInvalid' ? true : undefined,
    );
    const ready = (await mv('story-writer-v1')).status.conditions.find((c: any) => c.type === 'Ready');
    expect(ready.message).to.include('sha256 mismatch');
    expect(
      (await mv('story-writer-v1')).status.conditions.find((c: any) => c.type === 'Degraded').status,
    ).to.equal('True');
  });

  it('reads an image that cannot be pulled as ImagePullBackOff', async () => {
    const [pod] = await podsOf('sentiment-v1');
    await kubectl(env, [
      'patch',
      'pod',
      pod.metadata.name,
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(imagePullBackOff('ghcr.io/paissive/runtime:nope')),
    ]);
    await until('ImagePullBackOff', async () =>
      (await reasonOf('sentiment-v1')) === 'ImagePullBackOff' ? true : undefined,
    );
  });

  it('deploys a self-hosted OpenAI-compatible server with the same GPU scheduling, and says how to reach it', async () => {
    await apply(
      model(
        'llama',
        'provider: openai\ncapabilities: [chat, text-generation]\nendpoint: {baseURL: "http://llama.example/v1"}',
      ),
    );
    await apply(
      version(
        'llama-v1',
        'llama',
        'version: v1\ndefault: true\nreplicas: 1\nresources: {gpu: {count: 2, type: nvidia-a100-80gb}}\nruntime:\n  protocol: openai\n  image: vllm/vllm-openai:v0.11.0\n  port: 8000\n  args: ["--model", "meta-llama/Llama-3.1-8B-Instruct"]',
      ),
    );
    await until('llama-v1 Ready', async () =>
      (await reasonOf('llama-v1')) === 'RuntimeReady' ? true : undefined,
    );
    const spec = (await getJson(env, ['get', 'deployment', 'llama-v1', '-n', ns])).spec.template.spec;
    expect(spec.containers[0]).to.deep.include({
      image: 'vllm/vllm-openai:v0.11.0',
      args: ['--model', 'meta-llama/Llama-3.1-8B-Instruct'],
    });
    expect(spec.containers[0].readinessProbe.httpGet).to.include({ path: '/health', port: 8000 });
    expect(spec.containers[0].resources.limits).to.include({ 'nvidia.com/gpu': '2' });
    expect(spec.nodeSelector).to.deep.equal({ 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' });
    expect((await podsOf('llama-v1'))[0].spec.nodeName).to.equal('gpu-a100-1');
    expect((await mv('llama-v1')).status).to.include({
      protocol: 'openai',
      endpoint: `http://llama-v1.${ns}.svc:8000/v1`,
    });
    const svc = await getJson(env, ['get', 'service', 'llama-v1', '-n', ns]);
    expect(svc.spec.clusterIP).to.not.equal('None');
  });

  it('reports several default versions of one model as Degraded: MultipleDefaults', async () => {
    await kubectl(env, [
      'patch',
      'modelversion',
      'story-writer-v3',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"default":true}}',
    ]);
    const degraded = await until('MultipleDefaults', async () => {
      const m = await getJson(env, ['get', 'aimodel', 'story-writer', '-n', ns]);
      const c = m.status?.conditions?.find((x: any) => x.type === 'Degraded');
      return c?.reason === 'MultipleDefaults' ? c : undefined;
    });
    expect(degraded.status).to.equal('True');
    await kubectl(env, ['delete', 'modelversion', 'story-writer-v3', '-n', ns]);
  });

  it("deleting an AIModel removes its versions' children; recreating it restores them", async () => {
    const saved = await getJson(env, ['get', 'aimodel', 'sentence-embedder', '-n', ns]);
    await kubectl(env, ['delete', 'aimodel', 'sentence-embedder', '-n', ns]);
    await until('children removed', async () => {
      const res = await kubectlResult(env, ['get', 'deployment,service', 'sentence-embedder-v1', '-n', ns]);
      return res.ok ? undefined : true;
    });
    expect(await reasonOf('sentence-embedder-v1')).to.equal('ModelNotFound');
    await apply(
      model('sentence-embedder', `provider: onnx\ncapabilities: ${JSON.stringify(saved.spec.capabilities)}`),
    );
    await until('restored and Ready', async () =>
      (await reasonOf('sentence-embedder-v1')) === 'RuntimeReady' ? true : undefined,
    );
  });

  it('refuses invalid resources at admission with the CEL rules', async () => {
    const cases: [string, string][] = [
      [
        model('loop', 'provider: onnx\ncapabilities: [chat]\nfallbacks: [loop]'),
        'a model cannot be its own fallback',
      ],
      [version('x-v1', 'x', 'version: v1\nresources: {gpu: {count: 0}}'), 'greater than or equal to 1'],
      [
        version('x-v2', 'x', 'version: v2\ndefault: true\ndeprecated: true'),
        'a deprecated version cannot be the default',
      ],
      [
        version('x-v3', 'x', 'version: v3\nruntime: {protocol: openai}'),
        'runtime.protocol openai needs runtime.image',
      ],
      [model('ext', 'provider: openai\ncapabilities: [chat]'), 'provider openai needs spec.endpoint'],
    ];
    for (const [yaml, message] of cases) {
      const res = await kubectlResult(env, ['apply', '-n', ns, '-f', '-'], yaml);
      expect(res.ok, yaml).to.equal(false);
      expect(res.output).to.include(message);
    }
    const immutable = await kubectlResult(env, [
      'patch',
      'modelversion',
      'sentiment-v1',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"version":"v9"}}',
    ]);
    expect(immutable.output).to.include('spec.version is immutable');
  });
});
