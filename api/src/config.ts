/**
 * Router configuration, parsed once at start-up from an injected environment and frozen.
 * @module
 */
import { z } from 'zod';
import { formatIssues } from '../../crds/src/index.js';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const configSchema = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Where the catalog comes from; only the manifest folder exists in this version. */
  CATALOG: z.enum(['files']).default('files'),
  MODELS_DIR: z.string().min(1).default('examples'),
  /** Run a runtime process per onnx ModelVersion (local mode). */
  LOCAL_RUNTIMES: bool.default(true),
  RUNTIME_HOST: z.string().min(1).default('127.0.0.1'),
  /** Whether runtime processes' logs go to this process's stdout/stderr. */
  LOCAL_RUNTIME_OUTPUT: z.enum(['inherit', 'ignore']).default('inherit'),
  /** Deadline of one inference request, across every fallback attempt. */
  REQUEST_TIMEOUT_MS: int(100, 600_000).default(30_000),
  MAX_BODY_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  BATCH_MAX_ITEMS: int(1, 100_000).default(1000),
  BATCH_CONCURRENCY: int(1, 256).default(4),
  JOB_TTL_SECONDS: int(60, 30 * 86_400).default(86_400),
  /** How long hourly usage buckets are kept (the per-model metrics and cost reports read them). */
  USAGE_RETENTION_DAYS: int(1, 400).default(62),
});

export type Config = Readonly<z.infer<typeof configSchema>>;

export class ConfigError extends Error {}

/** Parses the environment; throws ConfigError naming each bad variable and what it allows. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`Invalid configuration: ${formatIssues(parsed.error)}`);
  return Object.freeze(parsed.data);
}
