import { expect } from 'chai';
import type { AIModel, ModelVersion } from '../../../crds/src/index.js';
import { desiredVersion } from '../../../operator/src/kube/desired.js';
import { cacheBoundBytes, quantityBytes } from '../../../operator/src/kube/model-cache.js';
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

describe('operator/kube: desiredVersion — metrics, drain, S3 credentials', () => {
  const serve = (version: ModelVersion, c = config) => {
    const d = desiredVersion(version, model(), c);
    if (d.kind !== 'serve') throw new Error(d.message);
    return d;
  };
  const podOf = (version: ModelVersion, c = config) => serve(version, c).deployment.spec?.template.spec;
  const envOf = (version: ModelVersion, c = config) => podOf(version, c)?.containers[0]?.env ?? [];

  it('exposes the runtime metrics port (8002, `metrics`) on the container and the Service', () => {
    const d = serve(mv());
    expect(d.deployment.spec?.template.spec?.containers[0]?.ports).to.deep.equal([
      { name: 'grpc', containerPort: 8001, protocol: 'TCP' },
      { name: 'metrics', containerPort: 8002, protocol: 'TCP' },
    ]);
    expect(d.service.spec?.ports?.map((p) => [p.name, p.port])).to.deep.equal([
      ['grpc', 8001],
      ['metrics', 8002],
    ]);
    expect(envOf(mv())).to.deep.include({ name: 'METRICS_PORT', value: '8002' });
    expect(d.deployment.spec?.template.metadata?.annotations).to.deep.equal({
      'prometheus.io/scrape': 'true',
      'prometheus.io/port': '8002',
      'prometheus.io/path': '/metrics',
    });
  });

  it('given another metrics port in the operator config, uses it for the container, Service, env and scrape', () => {
    const d = serve(mv(), parseOperatorConfig({ runtimeMetricsPort: 9090 }));
    const c = d.deployment.spec?.template.spec?.containers[0];
    expect(c?.ports?.find((p) => p.name === 'metrics')?.containerPort).to.equal(9090);
    expect(c?.env).to.deep.include({ name: 'METRICS_PORT', value: '9090' });
    expect(d.service.spec?.ports?.find((p) => p.name === 'metrics')?.port).to.equal(9090);
    expect(d.deployment.spec?.template.metadata?.annotations?.['prometheus.io/port']).to.equal('9090');
  });

  const grace: [string, ModelVersion, Record<string, unknown>, number, Record<string, string>][] = [
    [
      'the defaults (delay 5 s, grace 20 s)',
      mv(),
      {},
      30,
      { DRAIN_DELAY_SECONDS: '5', DRAIN_GRACE_SECONDS: '20' },
    ],
    [
      'longer drain settings',
      mv(),
      { drainDelaySeconds: 10, drainGraceSeconds: 120 },
      135,
      { DRAIN_DELAY_SECONDS: '10', DRAIN_GRACE_SECONDS: '120' },
    ],
    ['a higher floor', mv(), { terminationGracePeriodSeconds: 90 }, 90, { DRAIN_GRACE_SECONDS: '20' }],
    [
      'a version that asks for a longer grace in runtime.env',
      mv({ runtime: { protocol: 'oip-v2', env: [{ name: 'DRAIN_GRACE_SECONDS', value: '300' }] } }),
      {},
      310,
      { DRAIN_GRACE_SECONDS: '300' },
    ],
  ];
  for (const [what, version, settings, seconds, env] of grace) {
    it(`given ${what}, terminationGracePeriodSeconds is ${seconds} (above delay + grace)`, () => {
      const c = parseOperatorConfig({ ...settings });
      expect(podOf(version, c)?.terminationGracePeriodSeconds).to.equal(seconds);
      const values = Object.fromEntries(envOf(version, c).map((e) => [e.name, e.value]));
      expect(values).to.include(env);
    });
  }

  it("a name the version sets in runtime.env replaces the operator's (no duplicate for server-side apply)", () => {
    const env = envOf(mv({ runtime: { protocol: 'oip-v2', env: [{ name: 'GRPC_HOST', value: '::' }] } }));
    expect(env.filter((e) => e.name === 'GRPC_HOST')).to.deep.equal([{ name: 'GRPC_HOST', value: '::' }]);
  });

  it('given S3 credentials named in the version, refers to the Secret by key and never copies a value', () => {
    const env = envOf(
      mv({
        artifact: { uri: 's3://models/m.tar.gz', credentialsSecret: { name: 's3', accessKeyIdKey: 'id' } },
      }),
      parseOperatorConfig({ s3: { endpoint: 'http://minio.minio:9000', forcePathStyle: true } }),
    );
    expect(env.filter((e) => e.name.startsWith('AWS_') || e.name.startsWith('S3_'))).to.deep.equal([
      { name: 'S3_ENDPOINT', value: 'http://minio.minio:9000' },
      { name: 'S3_FORCE_PATH_STYLE', value: 'true' },
      { name: 'AWS_ACCESS_KEY_ID', valueFrom: { secretKeyRef: { name: 's3', key: 'id' } } },
      {
        name: 'AWS_SECRET_ACCESS_KEY',
        valueFrom: { secretKeyRef: { name: 's3', key: 'AWS_SECRET_ACCESS_KEY' } },
      },
      {
        name: 'AWS_SESSION_TOKEN',
        valueFrom: { secretKeyRef: { name: 's3', key: 'AWS_SESSION_TOKEN', optional: true } },
      },
    ]);
  });

  it("given the operator config's default credentials Secret, uses it for s3:// artifacts only", () => {
    const c = parseOperatorConfig({ artifactCredentialsSecret: { name: 'shared-s3' } });
    const s3 = envOf(mv(), c).find((e) => e.name === 'AWS_ACCESS_KEY_ID');
    expect(s3?.valueFrom?.secretKeyRef?.name).to.equal('shared-s3');
    const https = envOf(mv({ artifact: { uri: 'https://example.com/m.tar.gz' } }), c);
    expect(https.some((e) => e.name.startsWith('AWS_'))).to.equal(false);
  });
});

describe('operator/kube: desiredVersion — the model cache volume', () => {
  const serve = (version: ModelVersion, c = config) => {
    const d = desiredVersion(version, model(), c);
    if (d.kind !== 'serve') throw new Error(d.message);
    return d;
  };
  const cacheEnv = (d: ReturnType<typeof serve>) =>
    d.deployment.spec?.template.spec?.containers[0]?.env?.find((e) => e.name === 'MODEL_CACHE_MAX_BYTES')
      ?.value;

  it('given nothing, mounts an emptyDir at MODEL_CACHE_DIR and rolls updates', () => {
    const d = serve(mv());
    expect(d.deployment.spec?.template.spec?.volumes?.[0]).to.deep.equal({
      name: 'model-cache',
      emptyDir: {},
    });
    expect(d.deployment.spec?.template.spec?.containers[0]?.volumeMounts?.[0]).to.deep.equal({
      name: 'model-cache',
      mountPath: '/var/cache/paissive/models',
    });
    expect(d.deployment.spec?.strategy).to.deep.equal({
      type: 'RollingUpdate',
      rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' },
    });
    expect(d.claim).to.equal(undefined);
    expect(cacheEnv(d)).to.equal(undefined);
  });

  it('given a size (version over operator config), bounds the emptyDir and the runtime cache with it', () => {
    const c = parseOperatorConfig({ modelCacheSizeLimit: '20Gi' });
    expect(serve(mv(), c).deployment.spec?.template.spec?.volumes?.[0]?.emptyDir).to.deep.equal({
      sizeLimit: '20Gi',
    });
    const d = serve(mv({ cache: { sizeLimit: '5Gi' } }), c);
    expect(d.deployment.spec?.template.spec?.volumes?.[0]?.emptyDir).to.deep.equal({ sizeLimit: '5Gi' });
    expect(cacheEnv(d), 'half of 5Gi: room for a fetch beside the cache').to.equal(String(5 * 2 ** 29));
  });

  it('given a claim to create, builds a PVC owned by the version, mounts it, and replaces pods with Recreate', () => {
    const d = serve(
      mv({
        replicas: 1,
        cache: {
          sizeLimit: '50Gi',
          persistentVolumeClaim: { storageClassName: 'ssd', accessMode: 'ReadWriteOnce' },
        },
      }),
    );
    expect(d.claim?.metadata).to.deep.include({ name: 'm-v1-model-cache', namespace: 'ns' });
    expect(d.claim?.metadata?.ownerReferences?.[0]).to.include({
      kind: 'ModelVersion',
      uid: 'uid-1',
      controller: true,
    });
    expect(d.claim?.metadata?.labels).to.include({ 'app.kubernetes.io/managed-by': 'paissive-operator' });
    expect(d.claim?.spec).to.deep.equal({
      accessModes: ['ReadWriteOnce'],
      resources: { requests: { storage: '50Gi' } },
      storageClassName: 'ssd',
    });
    expect(d.deployment.spec?.template.spec?.volumes?.[0]).to.deep.equal({
      name: 'model-cache',
      persistentVolumeClaim: { claimName: 'm-v1-model-cache' },
    });
    expect(d.deployment.spec?.strategy).to.deep.equal({ type: 'Recreate' });
    expect(cacheEnv(d)).to.equal(String(25 * 2 ** 30));
  });

  it('given an existing ReadWriteMany claim, mounts it for every replica, creates nothing, keeps rolling updates', () => {
    const d = serve(
      mv({
        replicas: 3,
        cache: { persistentVolumeClaim: { claimName: 'shared', accessMode: 'ReadWriteMany' } },
      }),
    );
    expect(d.claim).to.equal(undefined);
    expect(d.deployment.spec?.template.spec?.volumes?.[0]?.persistentVolumeClaim).to.deep.equal({
      claimName: 'shared',
    });
    expect(d.deployment.spec?.strategy?.type).to.equal('RollingUpdate');
  });

  it("given the operator config's ReadWriteOnce claim and 2 replicas, wants no runtime: ConfigInvalid naming the fix", () => {
    const c = parseOperatorConfig({ modelCacheClaim: { accessMode: 'ReadWriteOnce' } });
    const d = desiredVersion(mv({ replicas: 2 }), model(), c);
    expect(d).to.deep.include({ kind: 'none', reason: 'ConfigInvalid', problem: true });
    expect((d as { message: string }).message)
      .to.include('ReadWriteOnce')
      .and.include('2 replicas');
    // A version's own cache settings win over the config's.
    expect(desiredVersion(mv({ replicas: 2, cache: {} }), model(), c).kind).to.equal('serve');
    expect(serve(mv({ replicas: 1 }), c).claim?.spec?.resources?.requests?.storage).to.equal('10Gi');
  });
});

describe('operator/kube: the runtime cache bound of a volume size', () => {
  const cases: [string, number | undefined, string | undefined][] = [
    ['20Gi', 20 * 2 ** 30, String(10 * 2 ** 30)],
    ['1.5G', 1.5e9, '750000000'],
    ['500M', 5e8, '250000000'],
    ['3', 3, '1'],
    ['1', 1, undefined],
    ['lots', undefined, undefined],
  ];
  for (const [size, bytes, bound] of cases) {
    it(`given ${size}, reads ${bytes ?? 'no'} bytes and bounds the runtime's cache at ${bound ?? 'nothing'}`, () => {
      expect(quantityBytes(size)).to.equal(bytes);
      expect(cacheBoundBytes(size)).to.equal(bound);
    });
  }

  it('refuses an operator config size that is not a quantity of bytes, naming the field', () => {
    expect(() => parseOperatorConfig({ modelCacheSizeLimit: '20 GB' })).to.throw('modelCacheSizeLimit');
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
