import { expect } from 'chai';
import type { AIModel, ModelVersion } from '../../../crds/src/index.js';
import { modelVersion } from '../../../crds/src/index.js';
import { canonicalQuantity, desiredAutoscaler } from '../../../operator/src/kube/autoscaler.js';
import { desiredVersion } from '../../../operator/src/kube/desired.js';
import { childLabels } from '../../../operator/src/kube/names.js';
import { parseOperatorConfig } from '../../../operator/src/kube/operator-config.js';

const owner = {
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'ModelVersion',
  name: 'm-v1',
  uid: 'uid-1',
  controller: true,
  blockOwnerDeletion: true,
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
    replicas: 1,
    artifact: { uri: 's3://b/m.tar.gz' },
    ...spec,
  },
});

describe('operator/kube: desiredAutoscaler', () => {
  it('builds nothing without spec.autoscaling (the operator deletes the HPA it made)', () => {
    expect(desiredAutoscaler(mv(), owner)).to.equal(undefined);
  });

  it('builds an autoscaling/v2 HPA named after the version, owned by it, scaling the ModelVersion itself', () => {
    const hpa = desiredAutoscaler(mv({ autoscaling: { minReplicas: 2, maxReplicas: 6 } }), owner);
    expect(hpa).to.deep.equal({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: {
        name: 'm-v1',
        namespace: 'ns',
        labels: childLabels(mv()),
        ownerReferences: [owner],
      },
      spec: {
        scaleTargetRef: { apiVersion: 'ai.paissive.io/v1alpha1', kind: 'ModelVersion', name: 'm-v1' },
        minReplicas: 2,
        maxReplicas: 6,
      },
    });
    // The operator's informers select its children by this label: without it the HPA would never be seen.
    expect(hpa?.metadata?.labels).to.include({ 'app.kubernetes.io/managed-by': 'paissive-operator' });
  });

  const metrics: [string, NonNullable<ModelVersion['spec']['autoscaling']>, unknown[]][] = [
    [
      'a CPU target in percent',
      { minReplicas: 1, maxReplicas: 3, targetCPUUtilization: 70 },
      [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
        },
      ],
    ],
    [
      'a pods metric by average value (a number becomes the string the API server stores)',
      { minReplicas: 1, maxReplicas: 3, metrics: [{ name: 'runtime_queue_depth', averageValue: 4 }] },
      [
        {
          type: 'Pods',
          pods: {
            metric: { name: 'runtime_queue_depth' },
            target: { type: 'AverageValue', averageValue: '4' },
          },
        },
      ],
    ],
    [
      'CPU first, then every pods metric in order, averageValue spelt as the API server stores it',
      {
        minReplicas: 1,
        maxReplicas: 3,
        targetCPUUtilization: 80,
        metrics: [
          { name: 'runtime_queue_depth', averageValue: '0.5' },
          { name: 'runtime_active_sequences', averageValue: '8' },
        ],
      },
      [
        {
          type: 'Resource',
          resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } },
        },
        {
          type: 'Pods',
          pods: {
            metric: { name: 'runtime_queue_depth' },
            target: { type: 'AverageValue', averageValue: '500m' },
          },
        },
        {
          type: 'Pods',
          pods: {
            metric: { name: 'runtime_active_sequences' },
            target: { type: 'AverageValue', averageValue: '8' },
          },
        },
      ],
    ],
  ];
  for (const [what, autoscaling, expected] of metrics) {
    it(`given ${what}, lists it in spec.metrics`, () => {
      expect(desiredAutoscaler(mv({ autoscaling }), owner)?.spec?.metrics).to.deep.equal(expected);
    });
  }

  it('leaves spec.metrics out when none is given (the API server defaults it)', () => {
    const hpa = desiredAutoscaler(mv({ autoscaling: { minReplicas: 1, maxReplicas: 2 } }), owner);
    expect(hpa?.spec).to.not.have.property('metrics');
  });

  it('is part of the desired state of a served version, next to its Deployment at spec.replicas', () => {
    const config = parseOperatorConfig({ runtimeImage: 'registry.example/runtime:1' });
    const model: AIModel = {
      apiVersion: 'ai.paissive.io/v1alpha1',
      kind: 'AIModel',
      metadata: { name: 'm', namespace: 'ns' },
      spec: { provider: 'onnx', capabilities: ['text-generation'] },
    };
    const d = desiredVersion(
      mv({ replicas: 3, autoscaling: { minReplicas: 2, maxReplicas: 4 } }),
      model,
      config,
    );
    if (d.kind !== 'serve') throw new Error(d.message);
    expect(d.autoscaler?.spec?.scaleTargetRef.name).to.equal('m-v1');
    expect(d.deployment.spec?.replicas).to.equal(3);
    const without = desiredVersion(mv(), model, config);
    expect(without.kind === 'serve' && without.autoscaler).to.equal(undefined);
  });
});

describe('operator/kube: canonicalQuantity', () => {
  // Each pair as the real API server stored it (kubectl create --dry-run=server of an HPA), so the operator's
  // desired HPA matches the live one and a reconcile applies nothing.
  const stored: [string | number, string][] = [
    [4, '4'],
    ['4', '4'],
    ['0.5', '500m'],
    ['1000m', '1'],
    ['1.5', '1500m'],
    ['2000', '2k'],
    ['1000000', '1M'],
    ['0.25M', '250k'],
    ['12.5k', '12500'],
    ['3T', '3T'],
    ['5000T', '5P'],
    ['0.0001', '100u'],
    ['0.3m', '300u'],
    ['1.2345', '1234500u'],
    ['0.0000000001', '1n'],
    ['1.0000000001', '1000000001n'],
  ];
  for (const [value, canonical] of stored) {
    it(`writes ${JSON.stringify(value)} as ${canonical}`, () => {
      expect(canonicalQuantity(value)).to.equal(canonical);
    });
  }
  it('rounds what is below a nano up, as the API server does', () => {
    expect(canonicalQuantity('0.00000000001')).to.equal('1n');
  });
  it('refuses a binary suffix (the CRD does too)', () => {
    expect(() => canonicalQuantity('1Ki')).to.throw('not a decimal quantity: 1Ki');
  });
});

describe('crds: spec.autoscaling (zod, as local mode reads it)', () => {
  const parse = (autoscaling: unknown, extra: Record<string, unknown> = {}) =>
    modelVersion.safeParse({ ...mv(), spec: { ...mv().spec, autoscaling, ...extra } });
  const refused: [string, unknown, Record<string, unknown>, string][] = [
    ['minReplicas above maxReplicas', { minReplicas: 3, maxReplicas: 2 }, {}, 'spec.autoscaling.minReplicas'],
    ['minReplicas 0', { minReplicas: 0, maxReplicas: 2 }, {}, 'spec.autoscaling.minReplicas'],
    [
      'a metric name with a dash',
      { minReplicas: 1, maxReplicas: 2, metrics: [{ name: 'queue-depth', averageValue: 1 }] },
      {},
      'spec.autoscaling.metrics.0.name',
    ],
    [
      'an averageValue that is no quantity',
      { minReplicas: 1, maxReplicas: 2, metrics: [{ name: 'q', averageValue: 'four' }] },
      {},
      'spec.autoscaling.metrics.0.averageValue',
    ],
    [
      'an averageValue of zero',
      { minReplicas: 1, maxReplicas: 2, metrics: [{ name: 'q', averageValue: '0.0' }] },
      {},
      'spec.autoscaling.metrics.0.averageValue',
    ],
    [
      'an averageValue in Ki',
      { minReplicas: 1, maxReplicas: 2, metrics: [{ name: 'q', averageValue: '1Ki' }] },
      {},
      'spec.autoscaling.metrics.0.averageValue',
    ],
    [
      'an averageValue with a leading zero',
      { minReplicas: 1, maxReplicas: 2, metrics: [{ name: 'q', averageValue: '04' }] },
      {},
      'spec.autoscaling.metrics.0.averageValue',
    ],
    [
      'autoscaling above one replica on a ReadWriteOnce cache claim',
      { minReplicas: 1, maxReplicas: 2 },
      { cache: { persistentVolumeClaim: { accessMode: 'ReadWriteOnce' } } },
      'spec.cache.persistentVolumeClaim.accessMode',
    ],
  ];
  for (const [what, autoscaling, extra, field] of refused) {
    it(`refuses ${what}, naming ${field}`, () => {
      const r = parse(autoscaling, extra);
      expect(r.success).to.equal(false);
      expect(r.error?.issues.map((i) => i.path.join('.'))).to.include(field);
    });
  }
  it('accepts minReplicas equal to maxReplicas with CPU and a queue-depth metric', () => {
    const r = parse({
      minReplicas: 2,
      maxReplicas: 2,
      targetCPUUtilization: 75,
      metrics: [{ name: 'runtime_queue_depth', averageValue: '4' }],
    });
    expect(r.success, JSON.stringify(r.error?.issues)).to.equal(true);
  });
});
