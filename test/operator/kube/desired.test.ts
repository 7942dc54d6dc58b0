import { expect } from 'chai';
import type { AIModel, ModelVersion } from '../../../crds/src/index.js';
import { desiredVersion } from '../../../operator/src/kube/desired.js';
import { parseOperatorConfig } from '../../../operator/src/kube/operator-config.js';
import { scheduling } from '../../../operator/src/kube/scheduling.js';

const config = parseOperatorConfig({ runtimeImage: 'registry.example/runtime:1.2.3' });
const model = (spec: Partial<AIModel['spec']> = {}): AIModel => ({
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'AIModel',
  metadata: { name: 'm', namespace: 'ns' },
  spec: { provider: 'onnx', capabilities: ['text-generation'], ...spec },
});
const mv = (spec: Partial<ModelVersion['spec']> = {}): ModelVersion => ({
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'ModelVersion',
  metadata: { name: 'm-v1', namespace: 'ns', uid: 'uid-1', generation: 3 },
  spec: {
    model: 'm',
    version: 'v1',
    default: true,
    deprecated: false,
    replicas: 2,
    artifact: { uri: 's3://b/m.tar.gz', sha256: 'a'.repeat(64) },
    ...spec,
  },
});

describe('operator/kube: desiredVersion', () => {
  it('given an onnx version, builds a Deployment of the runtime and a headless Service, owned by the version', () => {
    const d = desiredVersion(mv(), model(), config);
    if (d.kind !== 'serve') throw new Error(d.message);
    expect(d.deployment.metadata).to.deep.include({ name: 'm-v1', namespace: 'ns' });
    expect(d.deployment.metadata?.ownerReferences).to.deep.equal([
      {
        apiVersion: 'ai.paissive.io/v1alpha1',
        kind: 'ModelVersion',
        name: 'm-v1',
        uid: 'uid-1',
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
    expect(d.deployment.spec?.replicas).to.equal(2);
    expect(d.deployment.spec?.selector).to.deep.equal({
      matchLabels: { 'ai.paissive.io/modelversion': 'm-v1' },
    });
    const c = d.deployment.spec?.template.spec?.containers[0];
    expect(c?.image).to.equal('registry.example/runtime:1.2.3');
    expect(c?.env).to.deep.include({ name: 'MODEL_ARTIFACT_SHA256', value: 'a'.repeat(64) });
    expect(c?.readinessProbe?.grpc?.port).to.equal(8001);
    expect(d.service.spec?.clusterIP).to.equal('None');
    expect(d).to.include({ endpoint: 'm-v1.ns.svc:8001', protocol: 'oip-v2' });
  });

  it('is deterministic: nothing time-varying, the same input gives the same objects', () => {
    expect(JSON.stringify(desiredVersion(mv(), model(), config))).to.equal(
      JSON.stringify(desiredVersion(mv(), model(), config)),
    );
  });

  it('turns resources into requests and limits, GPUs into nvidia.com/gpu', () => {
    const d = desiredVersion(
      mv({ resources: { cpu: '2', memory: '8Gi', gpu: { count: 2, type: 'nvidia-l4' } } }),
      model(),
      config,
    );
    if (d.kind !== 'serve') throw new Error('expected serve');
    expect(d.deployment.spec?.template.spec?.containers[0]?.resources).to.deep.equal({
      requests: { cpu: '2', memory: '8Gi', 'nvidia.com/gpu': '2' },
      limits: { memory: '8Gi', 'nvidia.com/gpu': '2' },
    });
  });

  const none: [string, ModelVersion, AIModel | undefined, string, boolean][] = [
    ['a missing AIModel', mv(), undefined, 'ModelNotFound', true],
    [
      'an external openai model',
      mv(),
      model({ provider: 'openai', endpoint: { baseURL: 'https://x/v1' } }),
      'ExternalEndpoint',
      false,
    ],
    ['an onnx version without artifact', mv({ artifact: undefined }), model(), 'ArtifactInvalid', true],
    [
      'an unknown GPU type',
      mv({ resources: { gpu: { count: 1, type: 'tpu-v5' } } }),
      model(),
      'UnknownGPUProfile',
      true,
    ],
    [
      'an onnx model with an openai runtime',
      mv({ runtime: { protocol: 'openai', image: 'vllm' } }),
      model(),
      'ConfigInvalid',
      true,
    ],
  ];
  for (const [what, version, m, reason, problem] of none) {
    it(`given ${what}, wants no runtime: ${reason}`, () => {
      expect(desiredVersion(version, m, config)).to.deep.include({ kind: 'none', reason, problem });
    });
  }

  it('given a self-hosted openai server, deploys its image on its port with an HTTP probe behind a ClusterIP', () => {
    const d = desiredVersion(
      mv({
        artifact: undefined,
        runtime: { protocol: 'openai', image: 'vllm/vllm-openai:v1', args: ['--x'] },
      }),
      model({ provider: 'openai', endpoint: { baseURL: 'https://x/v1' } }),
      config,
    );
    if (d.kind !== 'serve') throw new Error('expected serve');
    const c = d.deployment.spec?.template.spec?.containers[0];
    expect(c).to.deep.include({ image: 'vllm/vllm-openai:v1', args: ['--x'] });
    expect(c?.readinessProbe?.httpGet).to.deep.equal({ path: '/health', port: 8000 });
    expect(d.service.spec?.clusterIP).to.equal(undefined);
    expect(d).to.include({ endpoint: 'http://m-v1.ns.svc:8000/v1', protocol: 'openai' });
  });
});

describe('operator/kube: scheduling', () => {
  it('given a GPU type, selects its profile nodes and tolerates the GPU taint', () => {
    expect(
      scheduling(mv({ resources: { gpu: { count: 1, type: 'nvidia-a100-80gb' } } }), config),
    ).to.deep.equal({
      nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' },
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
    });
  });

  it('given GPUs without a type and no default profile, only tolerates the taint (any GPU node with room)', () => {
    expect(scheduling(mv({ resources: { gpu: { count: 1 } } }), config)).to.deep.equal({
      tolerations: [{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }],
    });
  });

  it('given no GPU, requires nodes without the GPU label', () => {
    const s = scheduling(mv(), config);
    expect(s.tolerations).to.equal(undefined);
    expect(
      s.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms,
    ).to.deep.equal([{ matchExpressions: [{ key: 'nvidia.com/gpu.present', operator: 'DoesNotExist' }] }]);
  });

  it('rejects a default GPU profile that is not in the table, naming it', () => {
    expect(() => parseOperatorConfig({ defaultGpuProfile: 'nvidia-b200' })).to.throw(
      'defaultGpuProfile nvidia-b200 is not in gpuProfiles',
    );
  });
});
