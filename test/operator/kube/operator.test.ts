/**
 * The operator against the real control plane `make test` starts: real kube-apiserver, controller manager
 * and scheduler, kwok nodes (two tainted GPU nodes, one CPU node). CRDs and examples go in with kubectl; what
 * goes wrong (and is refused at admission) is in problems.test.ts.
 */
import { expect } from 'chai';
import { type ClusterEnv, getJson, kubectl, kubectlResult, table } from '../../support/cluster.js';
import { examplesNamespace } from './examples-namespace.js';
import { model, version } from './fixtures.js';

describe('operator/kube: reconciling AIModels and ModelVersions on a real control plane', function () {
  this.timeout(120_000);
  const space = examplesNamespace('op');
  const { mv, reasonOf, podsOf, apply, until, patch } = space;
  let env: ClusterEnv;
  let ns: string;
  before(async () => {
    env = space.env;
    ns = space.ns;
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
      'TRAFFIC',
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
      'ModelVersion/story-writer-v2 Created: Created Deployment and Service and PodDisruptionBudget story-writer-v2',
    ]);
    expect(mine.some((e) => e.involvedObject.kind === 'AIModel' && e.reason === 'Ready')).to.equal(true);
  });

  it('a second pass over everything makes no writes', async () => {
    const reconciles = async () => {
      let n = 0;
      for (const [k, v] of await space.operator.metrics())
        if (k.startsWith('operator_reconcile_total{')) n += v;
      return n;
    };
    const before = { writes: await space.operator.writes(), reconciles: await reconciles() };
    // Touching metadata (not spec) makes every object come round the work queue again.
    await kubectl(env, ['annotate', '-n', ns, 'modelversions,aimodels', '--all', `touched=${Date.now()}`]);
    await until('every object reconciled again', async () =>
      (await reconciles()) >= before.reconciles + 8 ? true : undefined,
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(await space.operator.writes()).to.equal(before.writes);
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
    await patch('modelversion', 'sentence-embedder-v1', { spec: { replicas: 3 } });
    await until('3/3', async () =>
      (await mv('sentence-embedder-v1')).status?.ready === '3/3' ? true : undefined,
    );
    expect(
      (await getJson(env, ['get', 'deployment', 'sentence-embedder-v1', '-n', ns])).spec.replicas,
    ).to.equal(3);
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
});
