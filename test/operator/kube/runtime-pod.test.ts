import { expect } from 'chai';
import { type AIModel, type ModelVersion, modelVersion } from '../../../crds/src/index.js';
import { RESERVED_ENV } from '../../../crds/src/pod-template.js';
import { desiredVersion, type ServedVersion } from '../../../operator/src/kube/desired.js';
import { desiredDisruptionBudget } from '../../../operator/src/kube/disruption.js';
import { type OperatorConfig, parseOperatorConfig } from '../../../operator/src/kube/operator-config.js';
import { mergeAffinity } from '../../../operator/src/kube/pod-template.js';
import { runtimeEnv } from '../../../operator/src/kube/runtime-env.js';

const config = parseOperatorConfig({});
const model: AIModel = {
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'AIModel',
  metadata: { name: 'm', namespace: 'ns' },
  spec: { provider: 'onnx', capabilities: ['text-generation'] },
};
const mv = (spec: Partial<ModelVersion['spec']> = {}): ModelVersion => ({
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'ModelVersion',
  metadata: { name: 'm-v1', namespace: 'ns', uid: 'uid-1', generation: 1 },
  spec: {
    model: 'm',
    version: 'v1',
    default: false,
    deprecated: false,
    replicas: 2,
    artifact: { uri: 'https://example.com/m.tar.gz' },
    ...spec,
  },
});
const serve = (v: ModelVersion, c: OperatorConfig = config): ServedVersion => {
  const d = desiredVersion(v, model, c);
  if (d.kind !== 'serve') throw new Error(d.message);
  return d;
};
const podOf = (v: ModelVersion, c?: OperatorConfig) => serve(v, c).deployment.spec?.template;
const owner = { apiVersion: 'ai.paissive.io/v1alpha1', kind: 'ModelVersion', name: 'm-v1', uid: 'u' };
const selector = { matchLabels: { 'ai.paissive.io/modelversion': 'm-v1' } };

describe('operator/kube: hardened runtime pods', () => {
  it('given defaults, the pod meets Pod Security restricted with a read-only root and /tmp on an emptyDir', () => {
    const pod = podOf(mv())?.spec;
    expect(pod?.securityContext).to.deep.equal({
      runAsNonRoot: true,
      runAsUser: 10001,
      runAsGroup: 10001,
      fsGroup: 10001,
      fsGroupChangePolicy: 'OnRootMismatch',
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod?.containers[0]?.securityContext).to.deep.equal({
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
      privileged: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
    });
    expect(pod?.automountServiceAccountToken).to.equal(false);
    expect(pod?.volumes).to.deep.include({ name: 'tmp', emptyDir: { sizeLimit: '1Gi' } });
    expect(pod?.containers[0]?.volumeMounts).to.deep.equal([
      { name: 'model-cache', mountPath: '/var/cache/paissive/models' },
      { name: 'tmp', mountPath: '/tmp' },
    ]);
  });

  it('given podSecurity in the config, uses its uid and may leave the root writable (server images)', () => {
    const c = parseOperatorConfig({ podSecurity: { runAsUser: 20000, readOnlyRootFilesystem: false } });
    const pod = podOf(mv(), c)?.spec;
    expect(pod?.securityContext?.runAsUser).to.equal(20000);
    expect(pod?.containers[0]?.securityContext?.readOnlyRootFilesystem).to.equal(false);
    expect(() => parseOperatorConfig({ podSecurity: { runAsUser: 0 } })).to.throw(/podSecurity\.runAsUser/);
  });

  for (const [replicas, expected] of [
    [0, undefined],
    [1, undefined],
    [2, { maxUnavailable: 1, selector, unhealthyPodEvictionPolicy: 'AlwaysAllow' }],
    [5, { maxUnavailable: 1, selector, unhealthyPodEvictionPolicy: 'AlwaysAllow' }],
  ] as const) {
    it(`given ${replicas} replicas, the PodDisruptionBudget is ${expected ? 'maxUnavailable 1' : 'absent'}`, () => {
      const pdb = desiredDisruptionBudget(mv({ replicas }), owner);
      expect(pdb?.spec).to.deep.equal(expected);
      expect(serve(mv({ replicas })).disruptionBudget?.spec).to.deep.equal(expected);
      if (pdb)
        expect(pdb.metadata).to.deep.include({ name: 'm-v1', namespace: 'ns', ownerReferences: [owner] });
    });
  }
});

describe('operator/kube: spec.podTemplate merged over the operator defaults', () => {
  const defaults = parseOperatorConfig({
    podDefaults: {
      labels: { team: 'platform', tier: 'gpu' },
      annotations: { 'example.com/owner': 'platform' },
      serviceAccountName: 'runtime',
      imagePullSecrets: [{ name: 'regcred' }],
      tolerations: [{ key: 'spot', operator: 'Exists' }],
    },
  });

  it('given no podTemplate, the pod gets the defaults and a soft spread of this version across nodes', () => {
    const pod = podOf(mv(), defaults);
    expect(pod?.metadata?.labels).to.include({ team: 'platform', 'ai.paissive.io/modelversion': 'm-v1' });
    expect(pod?.metadata?.annotations).to.include({
      'example.com/owner': 'platform',
      'prometheus.io/port': '8002',
    });
    expect(pod?.spec?.serviceAccountName).to.equal('runtime');
    expect(pod?.spec?.imagePullSecrets).to.deep.equal([{ name: 'regcred' }]);
    expect(pod?.spec?.topologySpreadConstraints).to.deep.equal([
      {
        maxSkew: 1,
        topologyKey: 'kubernetes.io/hostname',
        whenUnsatisfiable: 'ScheduleAnyway',
        labelSelector: selector,
      },
    ]);
    expect(pod?.spec?.priorityClassName).to.equal(undefined);
  });

  it('given a podTemplate, its values win, lists add up, and its spread replaces the default', () => {
    const zone = {
      maxSkew: 2,
      topologyKey: 'topology.kubernetes.io/zone',
      whenUnsatisfiable: 'DoNotSchedule' as const,
    };
    const pod = podOf(
      mv({
        resources: { gpu: { count: 1 } },
        podTemplate: {
          labels: { tier: 'premium' },
          serviceAccountName: 's3-reader',
          priorityClassName: 'inference',
          imagePullSecrets: [{ name: 'regcred' }, { name: 'other' }],
          tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' }],
          topologySpreadConstraints: [zone],
        },
      }),
      defaults,
    );
    expect(pod?.metadata?.labels).to.include({ team: 'platform', tier: 'premium' });
    expect(pod?.spec).to.deep.include({ serviceAccountName: 's3-reader', priorityClassName: 'inference' });
    expect(pod?.spec?.imagePullSecrets).to.deep.equal([{ name: 'regcred' }, { name: 'other' }]);
    expect(pod?.spec?.tolerations).to.deep.equal([
      { key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' },
      { key: 'spot', operator: 'Exists' },
      { key: 'dedicated', operator: 'Equal', value: 'ml', effect: 'NoSchedule' },
    ]);
    expect(pod?.spec?.topologySpreadConstraints).to.deep.equal([{ ...zone, labelSelector: selector }]);
    const off = podOf(mv({ podTemplate: { topologySpreadConstraints: [] } }), defaults);
    expect(off?.spec?.topologySpreadConstraints).to.equal(undefined);
  });

  it('given env from Secrets, adds it after the runtime variables; a name also in runtime.env reads ConfigInvalid', () => {
    const secretEnv = { name: 'HF_TOKEN', valueFrom: { secretKeyRef: { name: 'hf', key: 'token' } } };
    const container = podOf(
      mv({ podTemplate: { env: [secretEnv], envFrom: [{ secretRef: { name: 'extra' }, prefix: 'X_' }] } }),
    )?.spec?.containers[0];
    expect(container?.env?.at(-1)).to.deep.equal(secretEnv);
    expect(container?.envFrom).to.deep.equal([{ secretRef: { name: 'extra' }, prefix: 'X_' }]);
    const clash = desiredVersion(
      mv({
        runtime: { protocol: 'oip-v2', env: [{ name: 'HF_TOKEN', value: 'x' }] },
        podTemplate: { env: [secretEnv] },
      }),
      model,
      config,
    );
    expect(clash).to.deep.include({ kind: 'none', reason: 'ConfigInvalid' });
    expect((clash as { message: string }).message).to.contain('HF_TOKEN is in both spec.runtime.env');
  });

  for (const [what, podTemplate, field] of [
    ['an operator label', { labels: { 'ai.paissive.io/model': 'x' } }, 'labels'],
    ['app.kubernetes.io/managed-by', { labels: { 'app.kubernetes.io/managed-by': 'me' } }, 'labels'],
    ['a scrape annotation', { annotations: { 'prometheus.io/port': '1' } }, 'annotations'],
    [
      'a runtime variable',
      { env: [{ name: 'GRPC_PORT', valueFrom: { secretKeyRef: { name: 's', key: 'k' } } }] },
      'env',
    ],
    ['a plain env value', { env: [{ name: 'A', value: 'x' }] }, 'env'],
    ['a bad service account', { serviceAccountName: 'Not_A_Name' }, 'serviceAccountName'],
  ] as const) {
    it(`given ${what} in spec.podTemplate, the ModelVersion is refused naming podTemplate.${field}`, () => {
      const parsed = modelVersion.safeParse({ ...mv(), spec: { ...mv().spec, podTemplate } });
      expect(parsed.success).to.equal(false);
      const paths = parsed.error?.issues.map((i) => i.path.join('.'));
      expect(paths?.some((p) => p.startsWith(`spec.podTemplate.${field}`))).to.equal(true, String(paths));
    });
  }

  it('given reserved labels in the config defaults, the operator config is refused naming the field', () => {
    expect(() => parseOperatorConfig({ podDefaults: { labels: { 'ai.paissive.io/x': 'y' } } })).to.throw(
      /podDefaults\.labels/,
    );
  });

  it('reserves every variable the operator sets for the runtime', () => {
    const full = parseOperatorConfig({
      s3: { endpoint: 'http://minio:9000', region: 'eu', forcePathStyle: true },
      artifactCredentialsSecret: { name: 's3' },
    });
    const v = mv({ artifact: { uri: 's3://b/m.tar.gz', sha256: 'a'.repeat(64) } });
    const names = runtimeEnv(v, full, { grpcPort: 1, metricsPort: 2, cacheMaxBytes: '3' }).map((e) => e.name);
    expect(RESERVED_ENV).to.include.members(names);
  });
});

describe('operator/kube: mergeAffinity', () => {
  const cpuOnly = {
    nodeAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: {
        nodeSelectorTerms: [{ matchExpressions: [{ key: 'gpu', operator: 'DoesNotExist' }] }],
      },
    },
  };
  const zoneA = { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] };
  const zoneB = { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] };
  const anti = {
    preferredDuringSchedulingIgnoredDuringExecution: [
      {
        weight: 50,
        podAffinityTerm: {
          topologyKey: 'kubernetes.io/hostname',
          labelSelector: { matchLabels: { a: 'b' } },
        },
      },
    ],
  };
  const table: [string, Parameters<typeof mergeAffinity>[0], Parameters<typeof mergeAffinity>[1], unknown][] =
    [
      ['nothing from the version', cpuOnly, undefined, cpuOnly],
      ['nothing from either', undefined, undefined, undefined],
      ['pod anti-affinity only', undefined, { podAntiAffinity: anti }, { podAntiAffinity: anti }],
      [
        'two ORed terms: our rule ANDed into each',
        cpuOnly,
        {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [zoneA, zoneB] },
          },
        },
        {
          nodeAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: {
              nodeSelectorTerms: [
                { matchExpressions: [...zoneA.matchExpressions, { key: 'gpu', operator: 'DoesNotExist' }] },
                { matchExpressions: [...zoneB.matchExpressions, { key: 'gpu', operator: 'DoesNotExist' }] },
              ],
            },
          },
        },
      ],
      [
        'a preference next to our requirement',
        cpuOnly,
        {
          nodeAffinity: {
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: zoneA }],
          },
        },
        {
          nodeAffinity: {
            ...cpuOnly.nodeAffinity,
            preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 10, preference: zoneA }],
          },
        },
      ],
    ];
  for (const [given, ours, theirs, expected] of table) {
    it(`given ${given}`, () => expect(mergeAffinity(ours, theirs)).to.deep.equal(expected));
  }
});
