/**
 * The caches both controllers read, taken from the process's shared informers: AIModels and ModelVersions,
 * and the children the operator labels as its own (so a cluster's other Deployments are never cached).
 * @module
 */
import type {
  V1Deployment,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PodDisruptionBudget,
  V1Service,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { AIModel, ModelVersion } from '../../../crds/src/index.js';
import { MANAGED_SELECTOR } from '../../../crds/src/labels.js';
import type { KubeObject } from '../../../kube/src/api.js';
import type { Informer, InformerEvent } from '../../../kube/src/informer.js';
import { Resources } from '../../../kube/src/resources.js';
import type { SharedInformers } from '../../../kube/src/shared-informers.js';

export interface OperatorInformers {
  readonly models: Informer<AIModel & KubeObject>;
  readonly versions: Informer<ModelVersion & KubeObject>;
  readonly deployments: Informer<V1Deployment & KubeObject>;
  readonly services: Informer<V1Service & KubeObject>;
  readonly pods: Informer<V1Pod & KubeObject>;
  readonly claims: Informer<V1PersistentVolumeClaim & KubeObject>;
  readonly budgets: Informer<V1PodDisruptionBudget & KubeObject>;
  readonly autoscalers: Informer<V2HorizontalPodAutoscaler & KubeObject>;
}

export function operatorInformers(shared: SharedInformers): OperatorInformers {
  return {
    models: shared.informer(Resources.AIModel),
    versions: shared.informer(Resources.ModelVersion),
    deployments: shared.informer(Resources.Deployment, MANAGED_SELECTOR),
    services: shared.informer(Resources.Service, MANAGED_SELECTOR),
    pods: shared.informer(Resources.Pod, MANAGED_SELECTOR),
    claims: shared.informer(Resources.PersistentVolumeClaim, MANAGED_SELECTOR),
    budgets: shared.informer(Resources.PodDisruptionBudget, MANAGED_SELECTOR),
    autoscalers: shared.informer(Resources.HorizontalPodAutoscaler, MANAGED_SELECTOR),
  };
}

/** What a consumer of any informer's events needs (an Informer<T> of any T is one). */
export interface EventSource {
  on(handler: (event: InformerEvent, object: KubeObject) => void): void;
}

/** The children kinds: their events enqueue the owning version. */
export const childInformers = (i: OperatorInformers): EventSource[] => [
  i.deployments,
  i.services,
  i.pods,
  i.claims,
  i.budgets,
  i.autoscalers,
];
