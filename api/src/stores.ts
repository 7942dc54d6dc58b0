/**
 * The stores replicas share: with REDIS_URL, the response cache and usage live in Redis (every replica
 * answers from the same cache and reports the same figures); without it, in this process.
 * @module
 */
import type { Logger } from 'pino';
import { RedisResponseCache } from './cache/redis-cache.js';
import type { ResponseCache } from './cache/response-cache.js';
import type { Config } from './config.js';
import { type BudgetStore, RedisBudgetStore } from './limits/budget-store.js';
import { type RateLimiter, RedisRateLimiter } from './limits/limiters.js';
import { RedisUsageStore } from './metering/redis-usage-store.js';
import type { UsageStore } from './metering/usage.js';
import type { Metrics } from './metrics/registry.js';

export interface SharedStores {
  readonly cache?: ResponseCache;
  readonly usage?: UsageStore;
  readonly limiter?: RateLimiter;
  /** Token and spend budget counters (ROUTER_TOKEN_LIMITS, ROUTER_SPEND_LIMITS). */
  readonly budgets?: BudgetStore;
  /** Counters of the model-operations limit (ROUTER_MODEL_OPS_LIMIT), always on. */
  readonly modelOpsLimiter?: RateLimiter;
}

export function sharedStores(config: Config, logger: Logger, metrics: Metrics): SharedStores {
  if (!config.REDIS_URL) return {};
  const count = (operation: string) => metrics.redisErrors.inc({ operation });
  return {
    cache: new RedisResponseCache({
      url: config.REDIS_URL,
      keyPrefix: `${config.REDIS_KEY_PREFIX}cache:`,
      commandTimeoutMs: config.REDIS_TIMEOUT_MS,
      observer: (operation) => count(`cache_${operation}`),
      logger: logger.child({ component: 'cache' }),
    }),
    // Counters only matter when limits are declared; no connection otherwise.
    ...(config.ROUTER_RATE_LIMITS
      ? {
          limiter: new RedisRateLimiter({
            url: config.REDIS_URL,
            keyPrefix: `${config.REDIS_KEY_PREFIX}rl:`,
            windowMs: config.RATE_LIMIT_WINDOW_SECONDS * 1000,
            commandTimeoutMs: config.REDIS_TIMEOUT_MS,
            onError: (operation) => count(`ratelimit_${operation}`),
            logger: logger.child({ component: 'rate-limits' }),
          }),
        }
      : {}),
    modelOpsLimiter: new RedisRateLimiter({
      url: config.REDIS_URL,
      keyPrefix: `${config.REDIS_KEY_PREFIX}ops:`,
      windowMs: config.RATE_LIMIT_WINDOW_SECONDS * 1000,
      commandTimeoutMs: config.REDIS_TIMEOUT_MS,
      onError: (operation) => count(`modelops_${operation}`),
      logger: logger.child({ component: 'model-ops-limit' }),
    }),
    ...(config.ROUTER_TOKEN_LIMITS || config.ROUTER_SPEND_LIMITS
      ? {
          budgets: new RedisBudgetStore({
            url: config.REDIS_URL,
            keyPrefix: `${config.REDIS_KEY_PREFIX}budget:`,
            commandTimeoutMs: config.REDIS_TIMEOUT_MS,
            onError: (operation) => count(`budget_${operation}`),
            logger: logger.child({ component: 'budgets' }),
          }),
        }
      : {}),
    usage: new RedisUsageStore({
      url: config.REDIS_URL,
      keyPrefix: `${config.REDIS_KEY_PREFIX}usage:`,
      retentionDays: config.USAGE_RETENTION_DAYS,
      figuresRetentionHours: config.VERSION_FIGURES_RETENTION_HOURS,
      flushIntervalMs: config.USAGE_FLUSH_MS,
      onError: (operation) => count(`usage_${operation}`),
      logger: logger.child({ component: 'usage' }),
    }),
  };
}
