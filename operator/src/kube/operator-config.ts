/**
 * Operator settings: the runtime image, the GPU profile table (GPU type → nodes), how runtime pods are
 * scheduled. Parsed once at start-up from an optional YAML file plus environment, validated, frozen.
 * @module
 */
import { z } from 'zod';
import { cacheClaim, credentialsSecretRef, formatIssues } from '../../../crds/src/index.js';
import { podDefaultsFields } from '../../../crds/src/pod-template.js';
import { ConfigInvalidError } from '../errors.js';

const toleration = z.object({
  key: z.string().optional(),
  operator: z.enum(['Exists', 'Equal']).optional(),
  value: z.string().optional(),
  effect: z.enum(['NoSchedule', 'PreferNoSchedule', 'NoExecute']).optional(),
});
export type Toleration = z.infer<typeof toleration>;

const gpuProfile = z.object({
  /** Labels a node must carry to host this GPU type (NVIDIA GPU feature discovery labels by default). */
  nodeSelector: z.record(z.string(), z.string()),
  /** Extra tolerations for this GPU type's nodes (the GPU taint toleration is always added). */
  tolerations: z.array(toleration).default([]),
});
export type GpuProfile = z.infer<typeof gpuProfile>;

/** Spread across nodes, softly: replicas of one version land on different nodes when the scheduler can. */
export const DEFAULT_SPREAD = [
  { maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway' as const },
];

/**
 * Pod Security `restricted` by default: a numeric non-root user (the image's, >= 10000), RuntimeDefault
 * seccomp, no privilege escalation, no capabilities, a read-only root with emptyDirs where the runtime writes.
 */
const podSecurity = z
  .object({
    runAsUser: z.number().int().min(1).max(2147483647).default(10001),
    runAsGroup: z.number().int().min(1).max(2147483647).default(10001),
    fsGroup: z.number().int().min(1).max(2147483647).default(10001),
    /** Off for server images (runtime.protocol openai) that write outside /tmp and the model cache. */
    readOnlyRootFilesystem: z.boolean().default(true),
    /** Bound of the /tmp emptyDir; exceeding it evicts the pod. */
    tmpSizeLimit: z
      .string()
      .regex(
        /^[0-9]+(\.[0-9]+)?(k|M|G|T|Ki|Mi|Gi|Ti)?$/,
        'must be a Kubernetes quantity of bytes such as 1Gi',
      )
      .default('1Gi'),
  })
  .prefault({});

export const operatorConfigSchema = z.object({
  /** The project's one image (Dockerfile); its default command is the runtime. The chart sets its own tag. */
  runtimeImage: z.string().min(1).default('ghcr.io/paissive/paissive:0.1.0'),
  imagePullPolicy: z.enum(['Always', 'IfNotPresent', 'Never']).default('IfNotPresent'),
  runtimePort: z.number().int().min(1).max(65535).default(8001),
  /** Port of self-hosted OpenAI-compatible servers when the version names none. */
  openaiPort: z.number().int().min(1).max(65535).default(8000),
  gpuResource: z.string().default('nvidia.com/gpu'),
  gpuProfiles: z.record(z.string(), gpuProfile).default({
    'nvidia-t4': { nodeSelector: { 'nvidia.com/gpu.product': 'Tesla-T4' }, tolerations: [] },
    'nvidia-l4': { nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-L4' }, tolerations: [] },
    'nvidia-a100-80gb': {
      nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-A100-SXM4-80GB' },
      tolerations: [],
    },
    'nvidia-h100-80gb': {
      nodeSelector: { 'nvidia.com/gpu.product': 'NVIDIA-H100-80GB-HBM3' },
      tolerations: [],
    },
  }),
  /** Used for versions that ask for GPUs without a type; none means any node with free GPUs. */
  defaultGpuProfile: z.string().optional(),
  /** Tolerations every GPU pod gets (the usual taint on GPU nodes). */
  gpuTolerations: z
    .array(toleration)
    .default([{ key: 'nvidia.com/gpu', operator: 'Exists', effect: 'NoSchedule' }]),
  /** Node label present only on GPU nodes: CPU-only versions are kept off nodes that carry it. */
  gpuNodeLabel: z.string().default('nvidia.com/gpu.present'),
  /** Port of the runtime's /metrics, /healthz and /readyz server (named `metrics` on the pod and Service). */
  runtimeMetricsPort: z.number().int().min(1).max(65535).default(8002),
  modelCacheSizeLimit: z
    .string()
    .regex(
      /^[0-9]+(\.[0-9]+)?(k|M|G|T|Ki|Mi|Gi|Ti)?$/,
      'must be a Kubernetes quantity of bytes such as 20Gi or 500M',
    )
    .optional()
    .describe(
      'Default model cache bound (MODEL_CACHE_MAX_BYTES, emptyDir sizeLimit, created claim size), e.g. 20Gi',
    ),
  /**
   * Keep every version's cache on a PVC unless its spec says otherwise: `claimName` names a claim each
   * namespace provides (ReadWriteMany to share it); without it the operator creates one per version.
   */
  modelCacheClaim: cacheClaim.optional(),
  /** S3 credentials for s3:// artifacts of versions that name none (a Secret of that name in their namespace). */
  artifactCredentialsSecret: credentialsSecretRef.optional(),
  /** S3-compatible store settings for s3:// artifacts (MinIO, Ceph...); absent: AWS. */
  s3: z
    .object({
      endpoint: z.url().optional(),
      region: z.string().min(1).optional(),
      forcePathStyle: z.boolean().optional(),
    })
    .optional(),
  /** After SIGTERM runtimes keep serving this long, so endpoints and routers stop sending first. */
  drainDelaySeconds: z.number().min(0).max(600).default(5),
  /** Then in-flight requests (long generations included) get this long to finish. */
  drainGraceSeconds: z.number().min(0).max(3600).default(20),
  /** At least this; always above drain delay + grace + 5 s (a higher spec.runtime.env DRAIN_* raises it). */
  terminationGracePeriodSeconds: z.number().int().min(0).optional(),
  /** How the operator reads fetch progress from runtime pods that are running but not ready yet. */
  downloadProbe: z
    .object({
      enabled: z.boolean().default(true),
      intervalSeconds: z.number().min(0.2).max(300).default(5),
      timeoutMs: z.number().int().min(50).max(30_000).default(1000),
      concurrency: z.number().int().min(1).max(64).default(8),
    })
    .prefault({}),
  podSecurity,
  /**
   * What every runtime pod gets unless its ModelVersion's spec.podTemplate says otherwise (docs/operator.md,
   * Runtime pods): pull secrets and labels add up, the spread is replaced by the version's.
   */
  podDefaults: z
    .object({
      ...podDefaultsFields,
      topologySpreadConstraints: podDefaultsFields.topologySpreadConstraints.unwrap().default(DEFAULT_SPREAD),
    })
    .prefault({}),
});

export type OperatorConfig = Readonly<z.infer<typeof operatorConfigSchema>>;

/** Parses the settings (from a YAML/JSON document already read); throws naming each bad field. */
export function parseOperatorConfig(
  input: unknown,
  env: Readonly<Record<string, string | undefined>> = {},
): OperatorConfig {
  const merged = { ...(typeof input === 'object' && input !== null ? input : {}) } as Record<string, unknown>;
  if (env.RUNTIME_IMAGE) merged.runtimeImage = env.RUNTIME_IMAGE;
  const parsed = operatorConfigSchema.safeParse(merged);
  if (!parsed.success) throw new ConfigInvalidError(`Invalid operator config: ${formatIssues(parsed.error)}`);
  const config = parsed.data;
  if (config.defaultGpuProfile && !config.gpuProfiles[config.defaultGpuProfile]) {
    throw new ConfigInvalidError(
      `Invalid operator config: defaultGpuProfile ${config.defaultGpuProfile} is not in gpuProfiles`,
    );
  }
  return Object.freeze(config);
}
