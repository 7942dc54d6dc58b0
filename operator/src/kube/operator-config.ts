/**
 * Operator settings: the runtime image, the GPU profile table (GPU type → nodes), how runtime pods are
 * scheduled. Parsed once at start-up from an optional YAML file plus environment, validated, frozen.
 * @module
 */
import { z } from 'zod';
import { formatIssues } from '../../../crds/src/index.js';

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

export const operatorConfigSchema = z.object({
  runtimeImage: z.string().min(1).default('ghcr.io/paissive/runtime:0.1.0'),
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
  modelCacheSizeLimit: z
    .string()
    .optional()
    .describe('emptyDir sizeLimit of the model cache volume, e.g. 20Gi'),
  terminationGracePeriodSeconds: z.number().int().min(0).default(30),
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
  if (!parsed.success) throw new Error(`Invalid operator config: ${formatIssues(parsed.error)}`);
  const config = parsed.data;
  if (config.defaultGpuProfile && !config.gpuProfiles[config.defaultGpuProfile]) {
    throw new Error(
      `Invalid operator config: defaultGpuProfile ${config.defaultGpuProfile} is not in gpuProfiles`,
    );
  }
  return Object.freeze(config);
}
