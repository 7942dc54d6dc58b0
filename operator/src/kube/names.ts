/**
 * Labels and names the operator puts on what it creates. Deterministic: a ModelVersion's children are
 * named after it, so the API server, not a cache, says whether they exist.
 * @module
 */
import type { ModelVersion } from '../../../crds/src/index.js';

export const FIELD_MANAGER = 'paissive-operator';
export const LABEL_MODEL_VERSION = 'ai.paissive.io/modelversion';
export const LABEL_MODEL = 'ai.paissive.io/model';
export const LABEL_VERSION = 'ai.paissive.io/version';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';
export const MANAGED_SELECTOR = `${LABEL_MANAGED_BY}=${FIELD_MANAGER}`;

export function childName(mv: ModelVersion): string {
  return mv.metadata.name;
}

export function selectorLabels(mv: ModelVersion): Record<string, string> {
  return { [LABEL_MODEL_VERSION]: mv.metadata.name };
}

export function childLabels(mv: ModelVersion): Record<string, string> {
  return {
    ...selectorLabels(mv),
    [LABEL_MODEL]: mv.spec.model,
    [LABEL_VERSION]: mv.spec.version,
    'app.kubernetes.io/name': 'paissive-runtime',
    'app.kubernetes.io/component': 'runtime',
    'app.kubernetes.io/instance': mv.metadata.name,
    [LABEL_MANAGED_BY]: FIELD_MANAGER,
  };
}
