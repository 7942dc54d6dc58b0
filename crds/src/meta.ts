/**
 * Shared building blocks of the ai.paissive.io resources: API group constants, object metadata, status
 * conditions, and invariants that hold both in zod (local mode) and as CEL rules in the CRD (cluster).
 * @module
 */
import { z } from 'zod';

export const GROUP = 'ai.paissive.io';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** DNS-1123 label: what Kubernetes accepts for names that also become Service and Deployment names. */
export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const dnsLabel = (what: string): z.ZodString =>
  z
    .string()
    .min(1)
    .max(63)
    .regex(
      DNS_LABEL,
      `${what} must be a DNS-1123 label: lowercase letters, digits and '-', at most 63 characters`,
    );

/** DNS-1123 subdomain: what Kubernetes accepts for Secret and PersistentVolumeClaim names. */
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
export const dnsSubdomain = (what: string): z.ZodString =>
  z
    .string()
    .min(1)
    .max(253)
    .regex(DNS_SUBDOMAIN, `${what} must be a DNS-1123 subdomain: lowercase letters, digits, '-' and '.'`);

/**
 * An invariant of a resource, written once: `rule` is the CEL expression the API server evaluates at
 * admission, `check` is the same predicate for local mode, where no API server exists.
 */
export interface Invariant<T> {
  readonly rule: string;
  readonly message: string;
  /** JSON path of the field to blame, relative to the object the rule is on (e.g. `.fallbacks`). */
  readonly fieldPath?: string;
  readonly check: (value: T) => boolean;
}

/** Attaches invariants to an object schema as zod refinements and as `x-kubernetes-validations`. */
export function withInvariants<S extends z.ZodType>(
  schema: S,
  invariants: readonly Invariant<z.output<S>>[],
): S {
  let refined: z.ZodType = schema;
  for (const inv of invariants) {
    const path = inv.fieldPath ? inv.fieldPath.replace(/^\./, '').split('.') : [];
    refined = refined.refine((value) => inv.check(value as z.output<S>), { message: inv.message, path });
  }
  const validations = invariants.map((inv) => ({
    rule: inv.rule,
    message: inv.message,
    ...(inv.fieldPath ? { fieldPath: inv.fieldPath } : {}),
  }));
  return refined.meta({ 'x-kubernetes-validations': validations }) as unknown as S;
}

/**
 * A field that cannot change once created. Enforced by the API server (a CEL transition rule); local mode
 * has no previous object to compare with, so there it is documentation only.
 */
export function immutable<S extends z.ZodType>(schema: S, field: string): S {
  return schema.meta({
    'x-kubernetes-validations': [{ rule: 'self == oldSelf', message: `${field} is immutable` }],
  }) as unknown as S;
}

/** The part of ObjectMeta a manifest may carry; the API server owns the rest. */
export const objectMeta = z
  .object({
    name: dnsLabel('metadata.name'),
    namespace: dnsLabel('metadata.namespace').optional(),
    labels: z.record(z.string(), z.string()).optional(),
    annotations: z.record(z.string(), z.string()).optional(),
    uid: z.string().optional(),
    generation: z.number().int().optional(),
    resourceVersion: z.string().optional(),
    creationTimestamp: z.string().optional(),
  })
  .loose();

/** status.observedGeneration of both kinds. */
export const observedGeneration = z
  .number()
  .int()
  .min(0)
  .optional()
  .describe('metadata.generation this status describes');

export const conditionType = z.enum(['Ready', 'Progressing', 'Degraded']);
export type ConditionType = z.infer<typeof conditionType>;

/** metav1.Condition, the shape `kubectl wait --for=condition=Ready` and dashboards understand. */
export const condition = z.strictObject({
  type: z.string().min(1).max(316).describe('Ready, Progressing or Degraded'),
  status: z.enum(['True', 'False', 'Unknown']).describe('Whether the condition holds'),
  reason: z.string().max(1024).describe('CamelCase reason a person can act on, e.g. Unschedulable'),
  message: z.string().max(32768).describe('What happened and what to do about it'),
  lastTransitionTime: z.iso.datetime({ offset: true }).describe('When status last changed (RFC 3339)'),
  observedGeneration: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('metadata.generation the condition was set from'),
});
export type Condition = z.infer<typeof condition>;

export const conditions = z
  .array(condition)
  .max(16)
  .meta({ 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': ['type'] })
  .describe('Ready, Progressing and Degraded, as metav1.Condition (kubectl wait --for=condition=Ready)');
