/**
 * The HorizontalPodAutoscaler of a ModelVersion with `spec.autoscaling`. It targets the ModelVersion itself,
 * not the Deployment: the HPA writes `spec.replicas` through the version's scale subresource and the operator
 * carries that to the Deployment, so there is one replica count and nobody fights over it. Pure.
 * @module
 */
import type { V2HorizontalPodAutoscaler, V2MetricSpec } from '@kubernetes/client-node';
import type { ModelVersion } from '../../../crds/src/index.js';
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
      // The API server stores a quantity as a string; a number here would differ from the live object forever.
      pods: {
        metric: { name: m.name },
        target: { type: 'AverageValue', averageValue: String(m.averageValue) },
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
