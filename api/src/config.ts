/**
 * Router configuration, parsed once at start-up from an injected environment and frozen.
 * @module
 */
import { z } from 'zod';
import { formatIssues } from '../../crds/src/index.js';
import { parseRateLimits, type RateLimits, RateLimitsError } from './limits/rate-limit.js';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

export const configSchema = z.object({
  PORT: int(0, 65535).default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Where the catalog comes from: the manifest folder (local mode) or the Kubernetes API (a cluster). */
  CATALOG: z.enum(['files', 'kubernetes']).default('files'),
  /** Kubernetes mode: kubeconfig path (else the pod's service account) and the namespace to watch (else all). */
  KUBECONFIG: z.string().optional(),
  WATCH_NAMESPACE: z.string().optional(),
  /** Shared cache and usage across replicas; without it both live in this process. */
  REDIS_URL: z.string().url().optional(),
  /** Longest a cache lookup may take before the request goes on without the cache. */
  REDIS_TIMEOUT_MS: int(1, 10_000).default(50),
  /** Namespace of every key the router writes (`<prefix>cache:…`, `<prefix>usage:…`), to share one Redis. */
  REDIS_KEY_PREFIX: z.string().min(1).max(64).default('paissive:'),
  CACHE_TTL_SECONDS: int(0, 30 * 86_400).default(300),
  CACHE_MAX_ENTRIES: int(0, 10_000_000).default(10_000),
  CACHE_MAX_BYTES: int(0, 16 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  /** The most one attempt on one target may take, so a hung target leaves time for the fallbacks. */
  ATTEMPT_TIMEOUT_MS: int(100, 600_000).default(15_000),
  RETRY_ATTEMPTS: int(1, 10).default(2),
  RETRY_BASE_DELAY_MS: int(1, 10_000).default(50),
  RETRY_MAX_AFTER_MS: int(0, 60_000).default(5_000),
  CIRCUIT_FAILURES: int(1, 1000).default(5),
  CIRCUIT_COOLDOWN_MS: int(100, 600_000).default(10_000),
  USAGE_FLUSH_MS: int(50, 60_000).default(1000),
  MODELS_DIR: z.string().min(1).default('examples'),
  /** Run a runtime process per onnx ModelVersion (local mode). */
  LOCAL_RUNTIMES: bool.default(true),
  RUNTIME_HOST: z.string().min(1).default('127.0.0.1'),
  /** Runtime processes per version in local mode: min(spec.replicas, this). */
  LOCAL_MAX_REPLICAS: int(1, 16).default(1),
  /** Whether runtime processes' logs go to this process's stdout/stderr. */
  LOCAL_RUNTIME_OUTPUT: z.enum(['inherit', 'ignore']).default('inherit'),
  /** Largest non-streamed answer read from an OpenAI-compatible upstream; past it the attempt fails (502). */
  UPSTREAM_MAX_RESPONSE_BYTES: int(1024, 1024 * 1024 * 1024).default(32 * 1024 * 1024),
  /** Longest silence between two events of a stream before it counts as stalled (error event, [DONE]). */
  STREAM_IDLE_TIMEOUT_MS: int(100, 600_000).default(30_000),
  /** Longest a whole upstream stream may run. */
  STREAM_TIMEOUT_MS: int(1000, 3_600_000).default(600_000),
  /** Deadline of one inference request, across every fallback attempt. */
  REQUEST_TIMEOUT_MS: int(100, 600_000).default(30_000),
  MAX_BODY_BYTES: int(1024, 64 * 1024 * 1024).default(1024 * 1024),
  /** What this process does: serve the API and run batch items (all), only serve (api), only run items (worker). */
  ROUTER_MODE: z.enum(['all', 'api', 'worker']).default('all'),
  BATCH_MAX_ITEMS: int(1, 100_000).default(1000),
  /** Largest batch request body (the other routes keep MAX_BODY_BYTES). */
  BATCH_MAX_BYTES: int(1024, 256 * 1024 * 1024).default(16 * 1024 * 1024),
  /** Batch items in flight in this process, and for one requested model (live requests are not counted). */
  BATCH_CONCURRENCY: int(1, 256).default(4),
  BATCH_MODEL_CONCURRENCY: int(1, 256).default(2),
  /** Tries per item for retryable failures, the first retry after BATCH_RETRY_DELAY_MS, doubling. */
  BATCH_ITEM_ATTEMPTS: int(1, 20).default(3),
  BATCH_RETRY_DELAY_MS: int(1, 600_000).default(1000),
  /** A worker silent this long is presumed dead and its items run elsewhere (Redis queue only). */
  BATCH_LOCK_MS: int(1000, 600_000).default(30_000),
  /** Budget of the Redis work of one jobs API call; past it, or with Redis away, the call answers 503. */
  JOBS_REDIS_TIMEOUT_MS: int(10, 60_000).default(5000),
  JOB_TTL_SECONDS: int(60, 30 * 86_400).default(86_400),
  /**
   * The router's own API keys, `caller:key` pairs separated by commas (ROUTER_API_KEYS) or lines (the file,
   * e.g. a mounted Secret). Either set: every API route needs a key, usage is metered per caller.
   */
  ROUTER_API_KEYS: z.string().optional(),
  ROUTER_API_KEYS_FILE: z.string().min(1).optional(),
  /** How often the keys file is checked for changes (a Secret updated in place). */
  ROUTER_API_KEYS_RELOAD_SECONDS: int(1, 3600).default(10),
  /** Requests per window per caller, `caller=N` pairs separated by commas (`*=N`: every other caller). */
  ROUTER_RATE_LIMITS: z.string().optional(),
  RATE_LIMIT_WINDOW_SECONDS: int(1, 3600).default(60),
  /**
   * Tokens (prompt + completion) per RATE_LIMIT_WINDOW_SECONDS per caller, `caller=N` pairs (`*=N` for every
   * other caller); reserved before a call from the prompt and max_tokens, settled from real usage after it.
   */
  ROUTER_TOKEN_LIMITS: z.string().optional(),
  /** Spend per caller in USD, `caller=USD/day` or `caller=USD/month` pairs (`*=...` for every other caller). */
  ROUTER_SPEND_LIMITS: z.string().optional(),
  /** Model operations (download, reload) per RATE_LIMIT_WINDOW_SECONDS per caller. */
  ROUTER_MODEL_OPS_LIMIT: int(1, 100_000).default(10),
  /** In-memory job store (no REDIS_URL): batch items and bytes held in all, and by one caller. */
  JOBS_MEMORY_MAX_ITEMS: int(1, 10_000_000).default(100_000),
  JOBS_MEMORY_MAX_ITEMS_PER_CALLER: int(1, 10_000_000).default(20_000),
  JOBS_MEMORY_MAX_BYTES: int(1024 * 1024, 64 * 1024 * 1024 * 1024).default(256 * 1024 * 1024),
  JOBS_MEMORY_MAX_BYTES_PER_CALLER: int(1024, 64 * 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  /** How long hourly usage buckets are kept (the per-model metrics and cost reports read them). */
  USAGE_RETENTION_DAYS: int(1, 400).default(62),
  /**
   * How long the per-version minute counters are kept (rollouts and GET /api/models/{id}/metrics?window=
   * read them); the longest window is this long.
   */
  VERSION_FIGURES_RETENTION_HOURS: int(1, 168).default(24),
});

const checkedSchema = configSchema.refine((c) => c.ROUTER_MODE === 'all' || c.REDIS_URL !== undefined, {
  path: ['ROUTER_MODE'],
  message: 'api and worker modes share the job queue through Redis: set REDIS_URL (or use ROUTER_MODE=all)',
});

export type Config = Readonly<z.infer<typeof configSchema>>;

export class ConfigError extends Error {}

/** Parses the environment; throws ConfigError naming each bad variable and what it allows. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): Config {
  const parsed = checkedSchema.safeParse(env);
  if (!parsed.success) throw new ConfigError(`Invalid configuration: ${formatIssues(parsed.error)}`);
  return Object.freeze(parsed.data);
}

/** The limits of ROUTER_RATE_LIMITS; undefined when unset (no limits). */
export function loadRateLimits(config: Config): RateLimits | undefined {
  if (config.ROUTER_RATE_LIMITS === undefined) return undefined;
  try {
    const limits = parseRateLimits(config.ROUTER_RATE_LIMITS, 'ROUTER_RATE_LIMITS');
    if (limits.byCaller.size === 0 && limits.fallback === undefined)
      throw new RateLimitsError('ROUTER_RATE_LIMITS is set but declares no limit');
    return limits;
  } catch (err) {
    if (err instanceof RateLimitsError) throw new ConfigError(`Invalid configuration: ${err.message}`);
    throw err;
  }
}
