/**
 * ModelVersion `spec.podTemplate`: the bounded part of a runtime pod a platform team may set (identity,
 * scheduling, pull credentials, env from Secrets), in Kubernetes' own shapes so manifests copy over. The
 * operator merges it over its configured defaults; what the operator sets itself (its labels, scrape
 * annotations, the runtime's env contract) is refused here, at admission, not silently overridden.
 * @module
 */
import { z } from 'zod';
import { dnsSubdomain, withInvariants } from './meta.js';
import { affinity, podToleration, topologySpreadConstraint } from './pod-scheduling.js';

export type { Affinity, TopologySpreadConstraint } from './pod-scheduling.js';

/** Label keys the operator puts on runtime pods (selectors, the router's catalog, dashboards read them). */
export const RESERVED_LABEL_PREFIX = 'ai.paissive.io/';
export const RESERVED_LABELS = [
  'app.kubernetes.io/name',
  'app.kubernetes.io/component',
  'app.kubernetes.io/instance',
  'app.kubernetes.io/managed-by',
] as const;
/** Prometheus annotation discovery reads these; the operator points them at the runtime's metrics port. */
export const RESERVED_ANNOTATIONS = [
  'prometheus.io/scrape',
  'prometheus.io/port',
  'prometheus.io/path',
] as const;
/** The runtime's configuration contract (operator/src/kube/runtime-env.ts) and S3 credentials (spec.artifact). */
export const RESERVED_ENV = [
  'MODEL_NAME',
  'MODEL_VERSION',
  'MODEL_ARTIFACT_URI',
  'MODEL_ARTIFACT_SHA256',
  'MODEL_CONFIGURATION',
  'GRPC_HOST',
  'GRPC_PORT',
  'METRICS_PORT',
  'MODEL_CACHE_DIR',
  'MODEL_CACHE_MAX_BYTES',
  'DRAIN_DELAY_SECONDS',
  'DRAIN_GRACE_SECONDS',
  'S3_ENDPOINT',
  'AWS_REGION',
  'S3_FORCE_PATH_STYLE',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_SESSION_TOKEN',
] as const;

const celList = (items: readonly string[]) => `[${items.map((i) => `'${i}'`).join(', ')}]`;
const MAX_MAP_ENTRIES = 64;

/** A string map with at most `MAX_MAP_ENTRIES` entries (zod and the API server both bound it). */
const stringMap = (describe: string) =>
  z
    .record(z.string().max(317), z.string().max(4096))
    .refine((m) => Object.keys(m).length <= MAX_MAP_ENTRIES, `at most ${MAX_MAP_ENTRIES} entries`)
    .meta({ maxProperties: MAX_MAP_ENTRIES })
    .describe(describe);

const reservedLabel = (key: string) =>
  key.startsWith(RESERVED_LABEL_PREFIX) || (RESERVED_LABELS as readonly string[]).includes(key);

export const podLabels = withInvariants(
  stringMap('Extra labels on runtime pods; the operator sets ai.paissive.io/* and app.kubernetes.io/*'),
  [
    {
      rule: `self.all(k, !k.startsWith('${RESERVED_LABEL_PREFIX}') && !(k in ${celList(RESERVED_LABELS)}))`,
      message: `podTemplate.labels cannot set the operator's labels (${RESERVED_LABEL_PREFIX}*, ${RESERVED_LABELS.join(', ')})`,
      check: (m) => Object.keys(m).every((k) => !reservedLabel(k)),
    },
  ],
);

export const podAnnotations = withInvariants(
  stringMap('Extra annotations on runtime pods (e.g. workload identity, sidecar injection)'),
  [
    {
      rule: `self.all(k, !(k in ${celList(RESERVED_ANNOTATIONS)}))`,
      message: `podTemplate.annotations cannot set the operator's scrape annotations (${RESERVED_ANNOTATIONS.join(', ')})`,
      check: (m) => Object.keys(m).every((k) => !(RESERVED_ANNOTATIONS as readonly string[]).includes(k)),
    },
  ],
);

const name = (what: string) => dnsSubdomain(what);

export const localObjectReference = z
  .object({ name: name('imagePullSecrets[].name').describe('Secret of type kubernetes.io/dockerconfigjson') })
  .describe('A Secret in the ModelVersion namespace');

const envName = z
  .string()
  .min(1)
  .max(256)
  .regex(/^[-._a-zA-Z][-._a-zA-Z0-9]*$/, 'an environment variable name');
const secretKeyName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^[-._a-zA-Z0-9]+$/, 'a Secret key');

export const secretEnvVar = z
  .object({
    name: envName.describe('Variable name; not one the operator sets for the runtime'),
    valueFrom: z
      .object({
        secretKeyRef: z
          .object({
            name: name('env[].valueFrom.secretKeyRef.name').describe('Secret in the ModelVersion namespace'),
            key: secretKeyName.describe('Key in the Secret'),
            optional: z.boolean().optional().describe('Start the pod even when the Secret or key is missing'),
          })
          .describe('core/v1 SecretKeySelector'),
      })
      .describe('Only secretKeyRef: plain values go in spec.runtime.env'),
  })
  .describe('core/v1 EnvVar whose value comes from a Secret key');

export const envFromSecret = z
  .object({
    secretRef: z
      .object({
        name: name('envFrom[].secretRef.name').describe('Secret in the ModelVersion namespace'),
        optional: z.boolean().optional().describe('Start the pod even when the Secret is missing'),
      })
      .describe('core/v1 SecretEnvSource'),
    prefix: envName.optional().describe('Prepended to every key of the Secret'),
  })
  .describe("core/v1 EnvFromSource (secretRef only); the operator's own variables take precedence");

export const podEnv = withInvariants(
  z.array(secretEnvVar).max(64).describe('Variables from Secret keys, added to the runtime container'),
  [
    {
      rule: `self.all(e, !(e.name in ${celList(RESERVED_ENV)}))`,
      message: `podTemplate.env cannot set a variable the operator sets (${RESERVED_ENV.join(', ')}): use spec.runtime.env or spec.artifact.credentialsSecret`,
      check: (list) => list.every((e) => !(RESERVED_ENV as readonly string[]).includes(e.name)),
    },
  ],
);

/** What the operator's config may default for every runtime pod (operator-config.ts `podDefaults`). */
export const podDefaultsFields = {
  labels: podLabels.optional(),
  annotations: podAnnotations.optional(),
  serviceAccountName: name('serviceAccountName')
    .optional()
    .describe('ServiceAccount the runtime runs as (workload identity for s3:// artifacts)'),
  priorityClassName: name('priorityClassName').optional().describe('PriorityClass of the runtime pods'),
  imagePullSecrets: z
    .array(localObjectReference)
    .max(16)
    .optional()
    .describe("Pull credentials, added to the operator's defaults"),
  tolerations: z
    .array(podToleration)
    .max(32)
    .optional()
    .describe('Appended to the GPU tolerations the operator derives from spec.resources'),
  topologySpreadConstraints: z
    .array(topologySpreadConstraint)
    .max(8)
    .optional()
    .describe("Replace the operator's default spread (across nodes) when set; [] turns it off"),
};

export const podTemplate = z
  .object({
    ...podDefaultsFields,
    affinity: affinity.optional(),
    env: podEnv.optional(),
    envFrom: z.array(envFromSecret).max(16).optional().describe('Every key of a Secret as variables'),
  })
  .describe("Runtime pod settings merged over the operator's defaults (docs/operator.md, Runtime pods)");
export type PodTemplate = z.infer<typeof podTemplate>;
