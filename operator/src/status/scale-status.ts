/**
 * The half of a ModelVersion's status that its scale subresource serves (`kubectl scale mv`, an HPA):
 * status.replicas and status.selector. Pure.
 * @module
 */
import type { V1Deployment } from '@kubernetes/client-node';
import type { ModelVersion } from '../../../crds/src/index.js';
import { selectorLabels } from '../kube/names.js';

export interface ScaleStatus {
  /**
   * Pods that exist now, ready or not, as a Deployment's own status.replicas counts them: an HPA compares
   * it with spec.replicas to see a scale in flight, and averages its metrics over these pods.
   */
  readonly replicas: number;
  /** The Deployment's pod selector as a label selector string, so the HPA reads the same pods. */
  readonly selector: string;
}

/** `k=v,k2=v2` with keys sorted, so the string is the same on every reconcile. */
export function labelSelector(labels: Readonly<Record<string, string>>): string {
  return Object.keys(labels)
    .sort()
    .map((key) => `${key}=${labels[key]}`)
    .join(',');
}

export function scaleStatus(mv: ModelVersion, deployment: V1Deployment | undefined): ScaleStatus {
  return { replicas: deployment?.status?.replicas ?? 0, selector: labelSelector(selectorLabels(mv)) };
}
