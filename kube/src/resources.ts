/**
 * The Kubernetes resources the operator and the router's catalog read and write, and their REST paths.
 * @module
 */
import { AIMODEL_PLURAL, GROUP, MODELVERSION_PLURAL, VERSION } from '../../crds/src/index.js';

export interface ResourceType {
  readonly apiVersion: string;
  readonly kind: string;
  readonly plural: string;
  readonly namespaced: boolean;
}

const core = (kind: string, plural: string): ResourceType => ({
  apiVersion: 'v1',
  kind,
  plural,
  namespaced: true,
});

export const Resources = {
  AIModel: { apiVersion: `${GROUP}/${VERSION}`, kind: 'AIModel', plural: AIMODEL_PLURAL, namespaced: true },
  ModelVersion: {
    apiVersion: `${GROUP}/${VERSION}`,
    kind: 'ModelVersion',
    plural: MODELVERSION_PLURAL,
    namespaced: true,
  },
  Deployment: { apiVersion: 'apps/v1', kind: 'Deployment', plural: 'deployments', namespaced: true },
  Service: core('Service', 'services'),
  Pod: core('Pod', 'pods'),
  PersistentVolumeClaim: core('PersistentVolumeClaim', 'persistentvolumeclaims'),
  Secret: core('Secret', 'secrets'),
  PodDisruptionBudget: {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    plural: 'poddisruptionbudgets',
    namespaced: true,
  },
  HorizontalPodAutoscaler: {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    plural: 'horizontalpodautoscalers',
    namespaced: true,
  },
  Event: core('Event', 'events'),
  Lease: { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', plural: 'leases', namespaced: true },
  EndpointSlice: {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    plural: 'endpointslices',
    namespaced: true,
  },
} as const satisfies Record<string, ResourceType>;

/**
 * `/apis/apps/v1/namespaces/ns/deployments[/name[/status]]`; with no namespace, the cluster-wide collection
 * (`/apis/apps/v1/deployments`), which lists and watches across every namespace.
 */
export function resourcePath(
  type: ResourceType,
  namespace?: string,
  name?: string,
  subresource?: 'status',
): string {
  const base = type.apiVersion.includes('/') ? `/apis/${type.apiVersion}` : `/api/${type.apiVersion}`;
  const scope = type.namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
  const item = name ? `/${encodeURIComponent(name)}` : '';
  return `${base}${scope}/${type.plural}${item}${name && subresource ? `/${subresource}` : ''}`;
}
