/**
 * Process settings of the operator, parsed once from the environment and frozen.
 * @module
 */
import { hostname } from 'node:os';
import { z } from 'zod';
import { formatIssues } from '../../crds/src/index.js';
import { ConfigInvalidError } from './errors.js';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

export const processConfigSchema = z.object({
  /** Path of a kubeconfig; in a pod the service account is used when unset. */
  KUBECONFIG: z.string().optional(),
  /** Namespace to watch; every namespace when unset. */
  WATCH_NAMESPACE: z.string().optional(),
  /** YAML or JSON file with the operator settings (runtime image, GPU profiles). */
  OPERATOR_CONFIG: z.string().optional(),
  RUNTIME_IMAGE: z.string().optional(),
  LEADER_ELECTION: bool.default(true),
  LEASE_NAME: z.string().default('paissive-operator'),
  /** Namespace of the Lease: the pod's own (downward API), else the watched one, else default. */
  POD_NAMESPACE: z.string().optional(),
  POD_NAME: z.string().optional(),
  METRICS_HOST: z.string().default('0.0.0.0'),
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  WORKERS: z.coerce.number().int().min(1).max(64).default(8),
  RESYNC_SECONDS: z.coerce.number().int().min(10).max(86_400).default(300),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export interface ProcessConfig extends Readonly<z.infer<typeof processConfigSchema>> {
  readonly identity: string;
  readonly leaseNamespace: string;
}

export function loadProcessConfig(env: Readonly<Record<string, string | undefined>>): ProcessConfig {
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== ''));
  const parsed = processConfigSchema.safeParse(cleaned);
  if (!parsed.success) throw new ConfigInvalidError(`Invalid configuration: ${formatIssues(parsed.error)}`);
  const c = parsed.data;
  return Object.freeze({
    ...c,
    identity: c.POD_NAME ?? `${hostname()}-${process.pid}`,
    leaseNamespace: c.POD_NAMESPACE ?? c.WATCH_NAMESPACE ?? 'default',
  });
}
