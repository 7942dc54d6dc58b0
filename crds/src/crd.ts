/**
 * The CustomResourceDefinitions, built from the zod schemas. Pure: `generate.ts` writes them to crds/.
 * @module
 */
import { AIMODEL_KIND, AIMODEL_PLURAL, aiModel } from './aimodel.js';
import { GROUP, VERSION } from './meta.js';
import { MODELVERSION_KIND, MODELVERSION_PLURAL, modelVersion } from './modelversion.js';
import { type JsonSchema, resourceSchema } from './structural.js';

interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'number' | 'boolean' | 'date';
  jsonPath: string;
  description?: string;
  priority?: number;
}

const READY_REASON = '.status.conditions[?(@.type=="Ready")].reason';
const AGE: PrinterColumn = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp' };

interface CrdInput {
  kind: string;
  plural: string;
  shortNames: string[];
  schema: JsonSchema;
  columns: PrinterColumn[];
  subresources: JsonSchema;
}

const STATUS_ONLY = { status: {} };

/**
 * `kubectl scale mv` and a HorizontalPodAutoscaler read and write replicas through /scale: spec.replicas is
 * what they set, status.replicas (the pods that exist, as a Deployment counts them) and status.selector
 * (which pods an HPA averages metrics over) are what the operator reports.
 */
export const MODELVERSION_SCALE = {
  specReplicasPath: '.spec.replicas',
  statusReplicasPath: '.status.replicas',
  labelSelectorPath: '.status.selector',
};

function customResourceDefinition(input: CrdInput): JsonSchema {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${input.plural}.${GROUP}` },
    spec: {
      group: GROUP,
      names: {
        kind: input.kind,
        listKind: `${input.kind}List`,
        plural: input.plural,
        singular: input.kind.toLowerCase(),
        shortNames: input.shortNames,
        categories: ['ai', 'paissive'],
      },
      scope: 'Namespaced',
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: input.subresources,
          additionalPrinterColumns: input.columns,
          schema: { openAPIV3Schema: input.schema },
        },
      ],
    },
  };
}

export function aiModelCrd(): JsonSchema {
  return customResourceDefinition({
    kind: AIMODEL_KIND,
    plural: AIMODEL_PLURAL,
    shortNames: ['aim'],
    schema: resourceSchema(aiModel),
    subresources: STATUS_ONLY,
    columns: [
      { name: 'Provider', type: 'string', jsonPath: '.spec.provider' },
      { name: 'Default', type: 'string', jsonPath: '.status.defaultVersion', description: 'Default version' },
      {
        name: 'Ready',
        type: 'string',
        jsonPath: '.status.ready',
        description: 'Ready versions / all versions',
      },
      { name: 'Reason', type: 'string', jsonPath: READY_REASON },
      {
        name: 'Traffic',
        type: 'string',
        jsonPath: '.status.traffic',
        description: 'Effective split of requests that name no version',
      },
      AGE,
    ],
  });
}

export function modelVersionCrd(): JsonSchema {
  return customResourceDefinition({
    kind: MODELVERSION_KIND,
    plural: MODELVERSION_PLURAL,
    shortNames: ['mv'],
    schema: resourceSchema(modelVersion),
    subresources: { ...STATUS_ONLY, scale: MODELVERSION_SCALE },
    columns: [
      { name: 'Model', type: 'string', jsonPath: '.spec.model' },
      { name: 'Version', type: 'string', jsonPath: '.spec.version' },
      {
        name: 'GPU',
        type: 'integer',
        jsonPath: '.spec.resources.gpu.count',
        description: 'GPUs per replica',
      },
      { name: 'GPU-Type', type: 'string', jsonPath: '.spec.resources.gpu.type', priority: 1 },
      { name: 'Ready', type: 'string', jsonPath: '.status.ready', description: 'Ready replicas / desired' },
      { name: 'Replicas', type: 'integer', jsonPath: '.spec.replicas' },
      { name: 'Reason', type: 'string', jsonPath: READY_REASON },
      { name: 'Endpoint', type: 'string', jsonPath: '.status.endpoint', priority: 1 },
      AGE,
    ],
  });
}

/** File name (kubebuilder convention) → CRD object, for every resource of the group. */
export function allCrds(): Record<string, JsonSchema> {
  return {
    [`${GROUP}_${AIMODEL_PLURAL}.yaml`]: aiModelCrd(),
    [`${GROUP}_${MODELVERSION_PLURAL}.yaml`]: modelVersionCrd(),
  };
}
