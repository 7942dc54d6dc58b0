/**
 * The windowed part of GET /api/models/{model_id}/metrics: each version's figures over the last `window`,
 * from the usage store's per-minute counters (the same on every router replica). They count every caller's
 * requests of the model, like the router's /metrics: a version's health is not private to a caller, and an
 * SLO-gated rollout reads the same numbers.
 * @module
 */
import type { AppDeps } from '../deps.js';
import { ValidationError } from '../errors.js';
import type { VersionFigures } from '../metering/version-figures.js';
import { windowMinutes, windowSpan } from '../metering/window.js';
import { fromUsageStore } from './reports.js';

/** `{window, versions}` for the body, in the API's snake_case. */
export async function windowedFigures(deps: AppDeps, model: string, window: string, now = new Date()) {
  const minutes = windowMinutes(window);
  const longest = deps.config.VERSION_FIGURES_RETENTION_HOURS * 60;
  if (minutes === undefined || minutes > longest) {
    const message = `a duration in whole minutes from 1m to ${longest / 60}h (VERSION_FIGURES_RETENTION_HOURS)`;
    throw new ValidationError(`Invalid request query: query.window: ${message}`, {
      problems: [{ path: 'query.window', message }],
    });
  }
  const span = windowSpan(minutes, now);
  const figures = await fromUsageStore(() => deps.usage.versionFigures(model, span));
  return {
    window: { duration: window, from: span.from.toISOString(), to: span.to.toISOString() },
    versions: Object.fromEntries(Object.entries(figures).map(([version, f]) => [version, snakeCase(f)])),
  };
}

function snakeCase(f: VersionFigures) {
  return {
    requests: f.requests,
    errors: f.errors,
    error_rate: f.errorRate,
    fallbacks: f.fallbacks,
    fallback_rate: f.fallbackRate,
    cache_hits: f.cacheHits,
    avg_latency_ms: f.avgLatencyMs,
    p50_latency_ms: f.p50LatencyMs,
    p95_latency_ms: f.p95LatencyMs,
    p99_latency_ms: f.p99LatencyMs,
  };
}
