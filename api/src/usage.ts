/**
 * `--help` of the router: one line per variable of its config schema (typed by its keys, so none is missed).
 * @module
 */
import type { Usage } from '../../runtime/src/cli.js';
import { configSchema } from './config.js';

export const routerUsage = (): Usage<typeof configSchema.shape> => ({
  command: 'node dist/api/src/main.js',
  about: `paissive router: one REST and OpenAI-compatible API over the runtimes and external providers, with
fallbacks, caching, batch jobs, keys, limits, metering and /metrics. Local mode (CATALOG=files) reads
ModelVersions from MODELS_DIR and runs runtimes as child processes; CATALOG=kubernetes serves the models of
the Kubernetes API.`,
  shape: configSchema.shape,
  variables: {
    PORT: { text: 'HTTP port; 0 picks a free one' },
    HOST: { text: 'address the HTTP server binds' },
    LOG_LEVEL: { text: 'fatal, error, warn, info, debug, trace or silent' },
    CATALOG: { text: 'where models come from: files (MODELS_DIR) or kubernetes' },
    KUBECONFIG: { text: "kubernetes catalog: kubeconfig path; unset: the pod's service account" },
    WATCH_NAMESPACE: { text: 'kubernetes catalog: namespace to watch; unset: every namespace' },
    REDIS_URL: { text: 'Redis shared by replicas (cache, usage, limits, jobs); unset: in this process' },
    REDIS_TIMEOUT_MS: { text: 'longest cache lookup before the request goes on without it' },
    REDIS_KEY_PREFIX: { text: 'prefix of every Redis key, to share one Redis' },
    CACHE_TTL_SECONDS: { text: 'cache TTL of models whose AIModel sets none' },
    CACHE_MAX_ENTRIES: { text: 'in-memory cache: most entries' },
    CACHE_MAX_BYTES: { text: 'in-memory cache: most bytes' },
    ATTEMPT_TIMEOUT_MS: { text: 'longest one attempt on one target may take' },
    RETRY_ATTEMPTS: { text: 'tries per target for retryable failures' },
    RETRY_BASE_DELAY_MS: { text: 'first retry delay, doubling' },
    RETRY_MAX_AFTER_MS: { text: 'longest upstream Retry-After waited for; longer: the next target' },
    CIRCUIT_FAILURES: { text: 'consecutive failures that open a target circuit' },
    CIRCUIT_COOLDOWN_MS: { text: 'how long an open circuit stays open' },
    USAGE_FLUSH_MS: { text: 'how often metered usage is written' },
    MODELS_DIR: { text: 'files catalog: folder of AIModel/ModelVersion YAML' },
    LOCAL_RUNTIMES: { text: 'files catalog: run a runtime process per onnx ModelVersion' },
    RUNTIME_HOST: { text: 'files catalog: address the runtime processes bind' },
    LOCAL_MAX_REPLICAS: { text: 'files catalog: runtime processes per version, at most' },
    LOCAL_RUNTIME_OUTPUT: { text: "files catalog: runtime logs inherit this process's output, or ignore" },
    UPSTREAM_MAX_RESPONSE_BYTES: { text: 'largest non-streamed upstream answer read (else 502)' },
    STREAM_IDLE_TIMEOUT_MS: { text: 'longest silence inside an upstream stream' },
    STREAM_TIMEOUT_MS: { text: 'longest a whole upstream stream may run' },
    REQUEST_TIMEOUT_MS: { text: 'deadline of one inference request across every fallback' },
    MAX_BODY_BYTES: { text: 'largest request body (batch routes: BATCH_MAX_BYTES)' },
    ROUTER_MODE: { text: 'all (API and batch worker), api or worker (the last two need REDIS_URL)' },
    BATCH_MAX_ITEMS: { text: 'items per batch request, at most' },
    BATCH_MAX_BYTES: { text: 'largest batch request body' },
    BATCH_CONCURRENCY: { text: 'batch items in flight in this process' },
    BATCH_MODEL_CONCURRENCY: { text: 'batch items in flight for one model' },
    BATCH_ITEM_ATTEMPTS: { text: 'tries per batch item for retryable failures' },
    BATCH_RETRY_DELAY_MS: { text: 'first batch item retry delay, doubling' },
    BATCH_LOCK_MS: { text: 'a silent worker is presumed dead after this (Redis queue)' },
    JOBS_REDIS_TIMEOUT_MS: { text: 'budget of the Redis work of one jobs API call (else 503)' },
    JOB_TTL_SECONDS: { text: 'how long finished jobs are kept' },
    ROUTER_API_KEYS: { text: 'API keys, caller:key[:scope,...] pairs separated by commas' },
    ROUTER_API_KEYS_FILE: { text: 'file of API keys, one per line (a mounted Secret)' },
    ROUTER_API_KEYS_RELOAD_SECONDS: { text: 'how often the keys file is checked for changes' },
    ROUTER_RATE_LIMITS: { text: 'requests per window per caller, caller=N pairs (*=N: the others)' },
    RATE_LIMIT_WINDOW_SECONDS: { text: 'window of the request, token and model operation limits' },
    ROUTER_TOKEN_LIMITS: { text: 'tokens per window per caller, caller=N pairs' },
    ROUTER_SPEND_LIMITS: { text: 'spend per caller, caller=USD/day or caller=USD/month pairs' },
    ROUTER_MODEL_OPS_LIMIT: { text: 'model operations (download, reload) per window per caller' },
    JOBS_MEMORY_MAX_ITEMS: { text: 'in-memory jobs: batch items held in all' },
    JOBS_MEMORY_MAX_ITEMS_PER_CALLER: { text: 'in-memory jobs: batch items held for one caller' },
    JOBS_MEMORY_MAX_BYTES: { text: 'in-memory jobs: bytes held in all' },
    JOBS_MEMORY_MAX_BYTES_PER_CALLER: { text: 'in-memory jobs: bytes held for one caller' },
    USAGE_RETENTION_DAYS: { text: 'how long hourly usage buckets are kept' },
    VERSION_FIGURES_RETENTION_HOURS: {
      text: 'how long per-version minute figures are kept (the longest metrics ?window=)',
    },
  },
});
