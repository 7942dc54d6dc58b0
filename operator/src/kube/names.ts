/**
 * Labels and names the operator puts on what it creates. Deterministic: a ModelVersion's children are
 * named after it, so the API server, not a cache, says whether they exist. The label keys themselves are
 * the contract with the router's catalog (crds/src/labels.ts).
 * @module
 */
import type { ModelVersion } from '../../../crds/src/index.js';
import {
  FIELD_MANAGER,
  LABEL_MANAGED_BY,
  LABEL_MODEL,
  LABEL_MODEL_VERSION,
  LABEL_VERSION,
} from '../../../crds/src/labels.js';

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
