/**
 * What happens after an answer: Prometheus metrics and usage records (tokens, cost, fallbacks, errors).
 * Never on the critical path: recording failures are logged, not thrown.
 * @module
 */
import type { Logger } from 'pino';
import type { RouteTarget } from '../backends/backend.js';
import { ApiError, ModelNotFoundError, UnsupportedTaskError } from '../errors.js';
import { requestCost } from '../metering/cost.js';
import { failureClass } from '../metering/slo-failure.js';
import type { UsageEvent, UsageStore } from '../metering/usage.js';
import type { Metrics } from '../metrics/registry.js';
import type { Attempt } from '../routing/execute-chain.js';
import type { FallbackChain } from '../routing/fallback-chain.js';
import type { CacheStatus } from './cache-key.js';

export interface Outcome {
  readonly operation: string;
  readonly requestedModel: string;
  readonly requestedVersion?: string;
  /** The version routing chose first (routedVersion below): the one the per-version figures count. */
  readonly routedVersion?: string;
  readonly caller: string;
  readonly latencyMs: number;
}

/** The version of the requested model a chain tries first; none when the model could not be routed at all. */
export function routedVersion(chain: FallbackChain): string | undefined {
  const first = chain.steps[0];
  return first && !first.fallback ? first.target.version?.version : undefined;
}

export interface ServedOutcome extends Outcome {
  readonly target: RouteTarget;
  readonly fallback: boolean;
  readonly attempts: readonly Attempt[];
  readonly upstreamMs: number;
  readonly inputTokens: number;
  readonly outputTokens: number;
  readonly cache: CacheStatus;
  /** Time to the first streamed token, for streams. */
  readonly ttftMs?: number;
}

export class Observer {
  readonly #metrics: Metrics;
  readonly #usage: UsageStore;
  readonly #logger: Logger;

  constructor(metrics: Metrics, usage: UsageStore, logger: Logger) {
    this.#metrics = metrics;
    this.#usage = usage;
    this.#logger = logger;
  }

  cost(target: RouteTarget, inputTokens: number, outputTokens: number) {
    return requestCost(target.model.spec.pricing, inputTokens, outputTokens);
  }

  served(o: ServedOutcome): void {
    const m = this.#metrics;
    const served = o.target.model.name;
    const version = o.target.version?.version ?? '';
    const hit = o.cache === 'HIT';
    m.inferenceRequests.inc({
      operation: o.operation,
      model: o.requestedModel,
      served_model: served,
      version,
      outcome: hit ? 'cache_hit' : 'success',
    });
    m.inferenceDuration.observe({ operation: o.operation, model: o.requestedModel }, o.latencyMs / 1000);
    if (o.cache === 'HIT' || o.cache === 'MISS' || o.cache === 'ERROR')
      m.cacheLookups.inc({ result: o.cache.toLowerCase() });
    if (o.ttftMs !== undefined) m.timeToFirstToken.observe({ model: served }, o.ttftMs / 1000);
    this.#failures(o.attempts);
    if (hit) {
      // A hit consumed nothing from any model: it counts as a request of the model asked for (outcome
      // cache_hit, as in router_inference_requests_total), served by no model, with no tokens.
      this.#record({
        ...this.#base(o),
        ok: true,
        fallback: false,
        cacheHit: true,
        inputTokens: 0,
        outputTokens: 0,
      });
      return;
    }
    m.upstreamDuration.observe(
      { model: served, version, provider: o.target.model.spec.provider },
      o.upstreamMs / 1000,
    );
    m.tokens.inc({ model: served, version, direction: 'input' }, o.inputTokens);
    m.tokens.inc({ model: served, version, direction: 'output' }, o.outputTokens);
    const cost = this.cost(o.target, o.inputTokens, o.outputTokens);
    if (cost) m.cost.inc({ model: served, currency: cost.currency }, cost.amount);
    if (o.fallback) m.fallbacks.inc({ model: o.requestedModel, served_model: served });
    this.#record({
      ...this.#base(o),
      servedModel: served,
      servedVersion: o.target.version?.version,
      ok: true,
      fallback: o.fallback,
      inputTokens: o.inputTokens,
      outputTokens: o.outputTokens,
      cost,
    });
  }

  failed(o: Outcome, err: unknown): void {
    // Requests for models that do not exist are the client's mistake, not a model's error rate.
    if (err instanceof ModelNotFoundError || err instanceof UnsupportedTaskError) return;
    const m = this.#metrics;
    m.inferenceRequests.inc({
      operation: o.operation,
      model: o.requestedModel,
      served_model: '',
      version: '',
      outcome: 'error',
    });
    m.inferenceDuration.observe({ operation: o.operation, model: o.requestedModel }, o.latencyMs / 1000);
    const attempts =
      err instanceof ApiError ? (err.details as { attempts?: Attempt[] } | undefined)?.attempts : undefined;
    this.#failures(attempts ?? []);
    this.#record({
      ...this.#base(o),
      ok: false,
      failure: failureClass(err),
      fallback: false,
      inputTokens: 0,
      outputTokens: 0,
    });
  }

  retried(model: string): void {
    this.#metrics.retries.inc({ model });
  }

  #base(
    o: Outcome,
  ): Pick<
    UsageEvent,
    'at' | 'caller' | 'requestedModel' | 'requestedVersion' | 'routedVersion' | 'latencyMs'
  > {
    return {
      at: new Date(),
      caller: o.caller,
      requestedModel: o.requestedModel,
      requestedVersion: o.requestedVersion,
      routedVersion: o.routedVersion,
      latencyMs: o.latencyMs,
    };
  }

  #failures(attempts: readonly Attempt[]): void {
    for (const a of attempts) {
      if (a.outcome === 'failed')
        this.#metrics.backendFailures.inc({
          model: a.model,
          version: a.version ?? '',
          kind: a.kind ?? 'unknown',
        });
    }
  }

  #record(event: UsageEvent): void {
    this.#usage.record(event).catch((err: unknown) => this.#logger.error({ err }, 'Recording usage failed'));
  }
}
