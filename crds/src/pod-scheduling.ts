/**
 * Where runtime pods may run, in Kubernetes' own shapes (core/v1 Toleration, Affinity,
 * TopologySpreadConstraint), bounded so the CRD's validation stays cheap: the scheduling part of
 * ModelVersion `spec.podTemplate` (pod-template.ts).
 * @module
 */
import { z } from 'zod';

export const podToleration = z
  .object({
    key: z.string().max(317).optional().describe('Taint key; empty with operator Exists: every taint'),
    operator: z.enum(['Exists', 'Equal']).optional().describe('Equal (default) or Exists'),
    value: z.string().max(63).optional().describe('Taint value (operator Equal)'),
    effect: z
      .enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute'])
      .optional()
      .describe('Taint effect to tolerate; empty: every effect'),
    tolerationSeconds: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('NoExecute only: how long the pod stays after the taint appears'),
  })
  .describe('core/v1 Toleration');

const requirement = z
  .object({
    key: z.string().min(1).max(317).describe('Label key'),
    operator: z.string().min(1).max(16).describe('In, NotIn, Exists, DoesNotExist (nodes: also Gt, Lt)'),
    values: z.array(z.string().max(63)).max(64).optional().describe('Values for In, NotIn, Gt, Lt'),
  })
  .describe('A label requirement');

export const labelSelector = z
  .object({
    matchLabels: z.record(z.string(), z.string()).optional().describe('Labels that must all match'),
    matchExpressions: z.array(requirement).max(16).optional().describe('Requirements that must all hold'),
  })
  .describe('metav1 LabelSelector');

const nodeSelectorTerm = z
  .object({
    matchExpressions: z.array(requirement).max(16).optional().describe('Requirements on node labels'),
    matchFields: z.array(requirement).max(16).optional().describe('Requirements on node fields'),
  })
  .describe('core/v1 NodeSelectorTerm: its requirements are ANDed');

const nodeAffinity = z
  .object({
    requiredDuringSchedulingIgnoredDuringExecution: z
      .object({
        nodeSelectorTerms: z
          .array(nodeSelectorTerm)
          .min(1)
          .max(16)
          .describe('Terms are ORed; the operator ANDs its own GPU-node rule into each'),
      })
      .optional()
      .describe('Nodes a pod must land on'),
    preferredDuringSchedulingIgnoredDuringExecution: z
      .array(
        z
          .object({
            weight: z.number().int().min(1).max(100).describe('1-100'),
            preference: nodeSelectorTerm,
          })
          .describe('A weighted node preference'),
      )
      .max(16)
      .optional()
      .describe('Nodes a pod prefers'),
  })
  .describe('core/v1 NodeAffinity');

const podAffinityTerm = z
  .object({
    labelSelector: labelSelector.optional(),
    namespaceSelector: labelSelector.optional().describe('Namespaces to match pods in (absent: this one)'),
    namespaces: z.array(z.string().max(63)).max(16).optional().describe('Namespace names to match pods in'),
    topologyKey: z
      .string()
      .min(1)
      .max(317)
      .describe('Node label that defines co-location, e.g. kubernetes.io/hostname'),
    matchLabelKeys: z
      .array(z.string().max(317))
      .max(16)
      .optional()
      .describe('Pod label keys whose values are ANDed into labelSelector'),
    mismatchLabelKeys: z
      .array(z.string().max(317))
      .max(16)
      .optional()
      .describe('Pod label keys whose values must differ'),
  })
  .describe('core/v1 PodAffinityTerm');

const podAffinity = (what: string) =>
  z
    .object({
      requiredDuringSchedulingIgnoredDuringExecution: z
        .array(podAffinityTerm)
        .max(16)
        .optional()
        .describe('Terms that must hold'),
      preferredDuringSchedulingIgnoredDuringExecution: z
        .array(
          z
            .object({
              weight: z.number().int().min(1).max(100).describe('1-100'),
              podAffinityTerm,
            })
            .describe('A weighted term'),
        )
        .max(16)
        .optional()
        .describe('Terms to prefer'),
    })
    .describe(what);

export const affinity = z
  .object({
    nodeAffinity: nodeAffinity.optional(),
    podAffinity: podAffinity('core/v1 PodAffinity: co-locate with matching pods').optional(),
    podAntiAffinity: podAffinity('core/v1 PodAntiAffinity: keep away from matching pods').optional(),
  })
  .describe('core/v1 Affinity, merged with the node rule the operator derives from spec.resources');
export type Affinity = z.infer<typeof affinity>;

export const topologySpreadConstraint = z
  .object({
    maxSkew: z.number().int().min(1).describe('Largest allowed difference of pod counts between domains'),
    topologyKey: z
      .string()
      .min(1)
      .max(317)
      .describe('Node label of the domains, e.g. topology.kubernetes.io/zone'),
    whenUnsatisfiable: z.enum(['DoNotSchedule', 'ScheduleAnyway']).describe('Hard (DoNotSchedule) or soft'),
    labelSelector: labelSelector.optional().describe("Pods counted; absent: this version's runtime pods"),
    minDomains: z
      .number()
      .int()
      .min(1)
      .optional()
      .describe('DoNotSchedule only: domains to count as eligible'),
    matchLabelKeys: z
      .array(z.string().max(317))
      .max(16)
      .optional()
      .describe('Pod label keys ANDed into labelSelector (e.g. pod-template-hash)'),
    nodeAffinityPolicy: z
      .enum(['Honor', 'Ignore'])
      .optional()
      .describe("Whether the pod's node affinity limits the domains"),
    nodeTaintsPolicy: z
      .enum(['Honor', 'Ignore'])
      .optional()
      .describe('Whether node taints limit the domains'),
  })
  .describe('core/v1 TopologySpreadConstraint');
export type TopologySpreadConstraint = z.infer<typeof topologySpreadConstraint>;
