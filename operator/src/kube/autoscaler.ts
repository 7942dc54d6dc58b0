/**
 * The HorizontalPodAutoscaler of a ModelVersion with `spec.autoscaling`. It targets the ModelVersion itself,
 * not the Deployment: the HPA writes `spec.replicas` through the version's scale subresource and the operator
 * carries that to the Deployment, so there is one replica count and nobody fights over it. Pure.
 * @module
 */
import type { V2HorizontalPodAutoscaler, V2MetricSpec } from '@kubernetes/client-node';
import type { ModelVersion } from '../../../crds/src/index.js';
import { InvalidSpecError } from '../errors.js';
import { childLabels, childName } from './names.js';

type Owner = NonNullable<NonNullable<V2HorizontalPodAutoscaler['metadata']>['ownerReferences']>[number];

export function desiredAutoscaler(mv: ModelVersion, owner: Owner): V2HorizontalPodAutoscaler | undefined {
  const spec = mv.spec.autoscaling;
  if (!spec) return undefined;
  const metrics: V2MetricSpec[] = [];
  if (spec.targetCPUUtilization !== undefined) {
    metrics.push({
      type: 'Resource',
      resource: {
        name: 'cpu',
        target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilization },
      },
    });
  }
  for (const m of spec.metrics ?? []) {
    metrics.push({
      type: 'Pods',
      pods: {
        metric: { name: m.name },
        target: { type: 'AverageValue', averageValue: canonicalQuantity(m.averageValue) },
      },
    });
  }
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name: childName(mv),
      namespace: mv.metadata.namespace,
      labels: childLabels(mv),
      ownerReferences: [owner],
    },
    spec: {
      scaleTargetRef: { apiVersion: mv.apiVersion, kind: mv.kind, name: mv.metadata.name },
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      // None given: the API server's default (80% CPU), which needs resources.cpu like any CPU target.
      ...(metrics.length > 0 ? { metrics } : {}),
    },
  };
}

// Canonical spellings from the smallest unit the API server keeps (nano) upwards, a factor of 1000 apart.
const SUFFIXES = ['n', 'u', 'm', '', 'k', 'M', 'G', 'T', 'P', 'E'] as const;
const NANO_PER: Record<string, bigint> = {
  m: 10n ** 6n,
  '': 10n ** 9n,
  k: 10n ** 12n,
  M: 10n ** 15n,
  G: 10n ** 18n,
  T: 10n ** 21n,
};

/**
 * A decimal quantity (crds AVERAGE_VALUE) as the API server stores it: `0.5` is `500m`, `1000m` is `1`, `2000`
 * is `2k`, `0.0001` is `100u`, below a nano rounds up. The operator compares its desired HPA with the live one
 * field by field, so any other spelling would look changed on every reconcile and be applied again forever.
 */
export function canonicalQuantity(value: number | string): string {
  const match = /^([0-9]+)(?:\.([0-9]+))?(m|k|M|G|T)?$/.exec(String(value));
  if (!match) throw new InvalidSpecError(`not a decimal quantity: ${value}`);
  const [, whole, fraction = '', suffix = ''] = match;
  const denominator = 10n ** BigInt(fraction.length);
  const numerator = BigInt(whole + fraction) * (NANO_PER[suffix] as bigint);
  let mantissa = (numerator + denominator - 1n) / denominator;
  if (mantissa === 0n) return '0';
  let power = 0;
  while (power < SUFFIXES.length - 1 && mantissa % 1000n === 0n) {
    mantissa /= 1000n;
    power += 1;
  }
  return `${mantissa}${SUFFIXES[power]}`;
}
