/**
 * The PodDisruptionBudget of a ModelVersion: with more than one replica, voluntary disruptions (node drains,
 * cluster upgrades) take its runtime pods one at a time, so the version keeps serving; with one replica or none
 * there is nothing to keep, and a budget would only block drains, so there is none. Pure.
 * @module
 */
import type { V1PodDisruptionBudget } from '@kubernetes/client-node';
import type { ModelVersion } from '../../../crds/src/index.js';
import { childLabels, childName, selectorLabels } from './names.js';

type Owner = NonNullable<NonNullable<V1PodDisruptionBudget['metadata']>['ownerReferences']>[number];

export function desiredDisruptionBudget(mv: ModelVersion, owner: Owner): V1PodDisruptionBudget | undefined {
  if (mv.spec.replicas <= 1) return undefined;
  return {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: {
      name: childName(mv),
      namespace: mv.metadata.namespace,
      labels: childLabels(mv),
      ownerReferences: [owner],
    },
    spec: {
      // maxUnavailable (not minAvailable replicas-1) follows the scale subresource and an HPA without a re-apply.
      maxUnavailable: 1,
      selector: { matchLabels: selectorLabels(mv) },
      // A crash-looping pod is not serving: evicting it must not wait for it to become healthy.
      unhealthyPodEvictionPolicy: 'AlwaysAllow',
    },
  };
}
