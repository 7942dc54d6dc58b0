/**
 * Wires the router's components around a catalog: backends (with circuit breakers), cache, usage,
 * inference, jobs, metrics and the HTTP app. Local mode, cluster mode and the integration tests build the
 * router the same way through this.
 * @module
 */
import type { RequestListener } from 'node:http';
import type { Logger } from 'pino';
import { createApp } from './app.js';
import { type ApiKeyResolver, OpenAIBackend } from './backends/openai-backend.js';
import { BackendRegistry } from './backends/registry.js';
import { RuntimeBackend } from './backends/runtime-backend.js';
import { MemoryResponseCache } from './cache/memory-cache.js';
import type { ResponseCache } from './cache/response-cache.js';
import type { Catalog } from './catalog/catalog.js';
import { type Config, loadRateLimits } from './config.js';
import type { ReadinessReport } from './deps.js';
import { routerGuardrails } from './guardrails/wiring.js';
import { followCallerKeys } from './http/caller-keys-file.js';
import { InferenceService } from './inference/inference-service.js';
import { Observer } from './inference/observer.js';
import { createJobQueue } from './jobs/create-job-queue.js';
import { modelOperationsAdmission, rateLimitAdmission } from './limits/admission.js';
import { budgetGate, loadBudgets } from './limits/budget-gate.js';
import type { BudgetStore } from './limits/budget-store.js';
import { MemoryRateLimiter, type RateLimiter } from './limits/limiters.js';
import { MemoryUsageStore } from './metering/memory-usage-store.js';
import type { UsageStore } from './metering/usage.js';
import { createMetrics, type Metrics } from './metrics/registry.js';
import { batchItemRunner } from './routes/jobs.js';
import { CircuitBreakers } from './routing/circuit-breaker.js';

export interface RouterParts {
  /** The HTTP entry point (node:http request listener). */
  readonly app: RequestListener;
  readonly runtimes: RuntimeBackend;
  readonly metrics: Metrics;
  /** Stops background work and closes backend channels (not the HTTP server). */
  close(): Promise<void>;
}

export interface ComposeOptions {
  readonly config: Config;
  readonly catalog: Catalog;
  readonly logger: Logger;
  /** Where API keys of `openai` models come from (environment locally, Secrets in a cluster). */
  readonly apiKeys: ApiKeyResolver;
  /** Shared stores (Redis); in-memory ones when absent. */
  readonly cache?: ResponseCache;
  readonly usage?: UsageStore;
  /** Rate-limit counters shared by replicas (Redis); in this process when absent. */
  readonly limiter?: RateLimiter;
  /** Token and spend budget counters shared by replicas (Redis); in this process when absent. */
  readonly budgets?: BudgetStore;
  /** Model-operations counters shared by replicas (Redis); in this process when absent. */
  readonly modelOpsLimiter?: RateLimiter;
  readonly metrics?: Metrics;
  readonly readiness: (runtimes: RuntimeBackend) => () => Promise<ReadinessReport>;
}

function circuitBreakers(config: Config, metrics: Metrics): CircuitBreakers {
  const breakers = new CircuitBreakers({
    failureThreshold: config.CIRCUIT_FAILURES,
    cooldownMs: config.CIRCUIT_COOLDOWN_MS,
  });
  const open = new Map<string, Set<string>>();
  breakers.onChange = (key, state) => {
    const backend = key.slice(0, key.indexOf(':'));
    const set = open.get(backend) ?? new Set<string>();
    if (state === 'closed') set.delete(key);
    else set.add(key);
    open.set(backend, set);
    metrics.circuitsOpen.set({ backend }, set.size);
    metrics.circuitTransitions.inc({ backend, state });
  };
  return breakers;
}

export function composeRouter(options: ComposeOptions): RouterParts {
  const { config, catalog, logger } = options;
  // Settings that can still be refused (keys, limits) are read before anything starts.
  const limits = loadRateLimits(config);
  const budgetLimits = loadBudgets(config);
  const callerKeys = followCallerKeys(config, logger.child({ component: 'api-keys' }));
  const metrics = options.metrics ?? createMetrics();
  const breakers = circuitBreakers(config, metrics);
  const budgets = budgetGate(budgetLimits, options.budgets, config, metrics, (name) => catalog.model(name));
  const runtimes = new RuntimeBackend(breakers);
  const unsubscribe = catalog.onChange(() => {
    runtimes.retain(new Set(catalog.models().flatMap((m) => m.versions.flatMap((v) => v.addresses))));
  });
  const usage: UsageStore =
    options.usage ??
    new MemoryUsageStore(config.USAGE_RETENTION_DAYS, config.VERSION_FIGURES_RETENTION_HOURS);
  const cache =
    options.cache ??
    new MemoryResponseCache({ maxEntries: config.CACHE_MAX_ENTRIES, maxBytes: config.CACHE_MAX_BYTES });
  const upstreams = new OpenAIBackend(options.apiKeys, breakers, {
    maxResponseBytes: config.UPSTREAM_MAX_RESPONSE_BYTES,
    streamIdleMs: config.STREAM_IDLE_TIMEOUT_MS,
    streamTimeoutMs: config.STREAM_TIMEOUT_MS,
  });
  // Guard models are asked through the service the guardrails are part of.
  const guardrails = routerGuardrails(metrics, logger, () => (op, req, ctx) => inference.run(op, req, ctx));
  const inference: InferenceService = new InferenceService({
    catalog,
    backends: new BackendRegistry({ onnx: runtimes, openai: upstreams }),
    cache,
    observer: new Observer(metrics, usage, logger),
    logger,
    timeoutMs: config.REQUEST_TIMEOUT_MS,
    attemptTimeoutMs: config.ATTEMPT_TIMEOUT_MS,
    retry: {
      attemptsPerTarget: config.RETRY_ATTEMPTS,
      baseDelayMs: config.RETRY_BASE_DELAY_MS,
      maxDelayMs: 1000,
      maxRetryAfterMs: config.RETRY_MAX_AFTER_MS,
    },
    defaultCacheTtlSeconds: config.CACHE_TTL_SECONDS,
    gates: [...(budgets ? [budgets.gate] : []), guardrails.input],
    output: guardrails.output,
  });
  const limiter =
    options.limiter ??
    (limits ? new MemoryRateLimiter({ windowMs: config.RATE_LIMIT_WINDOW_SECONDS * 1000 }) : undefined);
  const windowMs = config.RATE_LIMIT_WINDOW_SECONDS * 1000;
  const modelOpsLimiter = options.modelOpsLimiter ?? new MemoryRateLimiter({ windowMs });
  const admit =
    limits && limiter
      ? rateLimitAdmission(limits, limiter, config.RATE_LIMIT_WINDOW_SECONDS, metrics)
      : undefined;
  const jobs = createJobQueue({
    config,
    // Batch items take from the caller's request limit as they run, like the requests they stand for.
    run: batchItemRunner(inference, admit),
    logger: logger.child({ component: 'jobs' }),
    metrics,
  });
  const app = createApp(
    {
      config,
      catalog,
      inference,
      jobs,
      usage,
      metrics,
      callerKeys: callerKeys.keys,
      ...(admit ? { admit } : {}),
      admitModelOperation: modelOperationsAdmission(
        config.ROUTER_MODEL_OPS_LIMIT,
        modelOpsLimiter,
        config.RATE_LIMIT_WINDOW_SECONDS,
        metrics,
      ),
      logger,
      repository: runtimes,
      readiness: options.readiness(runtimes),
      startedAt: new Date(),
    },
    // A worker serves only /healthz, /readyz and /metrics.
    { api: config.ROUTER_MODE !== 'worker' },
  );
  return {
    app,
    runtimes,
    metrics,
    async close() {
      callerKeys.stop();
      unsubscribe();
      await jobs.close();
      await cache.close();
      await usage.close?.();
      await limiter?.close();
      await budgets?.store.close();
      await modelOpsLimiter.close();
      runtimes.close();
      upstreams.close();
    },
  };
}
