/**
 * The inference use cases behind /api/inference/*: find the model, check it can do the task, build the
 * fallback chain, walk it, then meter and count what happened.
 * @module
 */
import type { Logger } from 'pino';
import type { Capability } from '../../../crds/src/index.js';
import type { CallContext, InferenceBackend, RouteTarget } from '../backends/backend.js';
import type { BackendRegistry } from '../backends/registry.js';
import type { Catalog, CatalogModel } from '../catalog/catalog.js';
import { ApiError, ModelNotFoundError, UnsupportedTaskError } from '../errors.js';
import { requestCost } from '../metering/cost.js';
import type { UsageStore } from '../metering/usage.js';
import type { Metrics } from '../metrics/registry.js';
import { type Attempt, executeChain } from '../routing/execute-chain.js';
import { buildFallbackChain } from '../routing/fallback-chain.js';
import type { AnalyzeRequest, AnalyzeResponse, TextRequest, TextResponse } from '../schemas/inference.js';
import { analyzeCall, type OperationOutput } from './operations.js';

export interface RequestContext {
  readonly requestId: string;
  /** Who is calling (API key owner); `anonymous` until API keys exist. */
  readonly caller: string;
  readonly signal?: AbortSignal;
  /** Overrides the configured timeout for this request (epoch ms). */
  readonly deadline?: number;
}

export interface InferenceServiceOptions {
  readonly catalog: Catalog;
  readonly backends: BackendRegistry;
  readonly usage: UsageStore;
  readonly metrics: Metrics;
  readonly logger: Logger;
  readonly timeoutMs: number;
}

interface RoutedRequest {
  readonly operation: 'text' | 'classify' | 'embed' | 'tokens';
  readonly modelId: string;
  readonly version?: string;
  readonly useFallbacks: boolean;
  readonly capability: Capability;
}

type Served<T> = {
  id: string;
  model_id: string;
  version?: string;
  requested_model_id: string;
  fallback_used: boolean;
  attempts: Attempt[];
  usage: { input_tokens: number; output_tokens: number; total_tokens: number };
  cost?: { amount: number; currency: string };
  latency_ms: number;
  /** Router time: total minus time waiting on backends (not part of the body; sent as a header). */
  overheadMs: number;
} & T;

export class InferenceService {
  readonly #o: InferenceServiceOptions;

  constructor(options: InferenceServiceOptions) {
    this.#o = options;
  }

  async text(
    req: TextRequest,
    ctx: RequestContext,
  ): Promise<Served<Pick<TextResponse, 'output' | 'finish_reason'>>> {
    const p = req.parameters ?? {};
    const stop = p.stop === undefined ? undefined : typeof p.stop === 'string' ? [p.stop] : p.stop;
    const params = {
      maxTokens: p.max_tokens,
      temperature: p.temperature,
      topP: p.top_p,
      topK: p.top_k,
      seed: p.seed,
      stop,
    };
    return this.#route(
      {
        operation: 'text',
        modelId: req.model_id,
        version: req.version,
        useFallbacks: req.use_fallbacks,
        capability: 'text-generation',
      },
      async (backend, target, call) => {
        const out = await backend.generate(target, req.input, params, call);
        return {
          fields: { output: out.text, finish_reason: out.finishReason },
          inputTokens: out.inputTokens,
          outputTokens: out.outputTokens,
        };
      },
      ctx,
    );
  }

  async analyze(
    req: AnalyzeRequest,
    ctx: RequestContext,
  ): Promise<Served<Pick<AnalyzeResponse, 'task' | 'results'>>> {
    const { capability, call } = analyzeCall(req);
    return this.#route(
      {
        operation: req.task,
        modelId: req.model_id,
        version: req.version,
        // Token ids only mean something for the model asked for.
        useFallbacks: req.task === 'tokens' ? false : req.use_fallbacks,
        capability,
      },
      call,
      ctx,
    );
  }

  #model(id: string, capability: Capability, operation: RoutedRequest['operation']): CatalogModel {
    const model = this.#o.catalog.model(id);
    if (!model) throw new ModelNotFoundError(`No model named ${id}`, { model_id: id });
    const ok =
      operation === 'tokens' ? model.spec.provider === 'onnx' : model.spec.capabilities.includes(capability);
    if (!ok) {
      const what = operation === 'tokens' ? 'tokenization (onnx models only)' : capability;
      throw new UnsupportedTaskError(`Model ${id} does not support ${what}`, {
        model_id: id,
        capabilities: model.spec.capabilities,
      });
    }
    return model;
  }

  async #route<T>(
    req: RoutedRequest,
    call: (backend: InferenceBackend, target: RouteTarget, ctx: CallContext) => Promise<OperationOutput<T>>,
    ctx: RequestContext,
  ): Promise<Served<T>> {
    const started = performance.now();
    const model = this.#model(req.modelId, req.capability, req.operation);
    const chain = buildFallbackChain({
      model,
      requestedVersion: req.version,
      capability: req.capability,
      useFallbacks: req.useFallbacks,
      lookup: (name) => this.#o.catalog.model(name),
    });
    const deadline = ctx.deadline ?? Date.now() + this.#o.timeoutMs;
    const callCtx: CallContext = { deadline, requestId: ctx.requestId, signal: ctx.signal };
    try {
      const result = await executeChain(
        chain,
        (target) => call(this.#o.backends.for(target), target, callCtx),
        deadline,
      );
      const { target, fallback } = result.step;
      const out = result.value;
      const latencyMs = performance.now() - started;
      const cost = requestCost(target.model.spec.pricing, out.inputTokens, out.outputTokens);
      this.#observe(req, ctx, {
        attempts: result.attempts,
        target,
        fallback,
        latencyMs,
        upstreamMs: result.upstreamMs,
        out,
        cost,
      });
      return {
        id: ctx.requestId,
        model_id: target.model.name,
        ...(target.version ? { version: target.version.version } : {}),
        requested_model_id: model.name,
        fallback_used: fallback,
        attempts: [...result.attempts],
        usage: {
          input_tokens: out.inputTokens,
          output_tokens: out.outputTokens,
          total_tokens: out.inputTokens + out.outputTokens,
        },
        ...(cost ? { cost } : {}),
        latency_ms: Math.round(latencyMs * 100) / 100,
        overheadMs: Math.max(0, latencyMs - result.upstreamMs),
        ...out.fields,
      };
    } catch (err) {
      this.#observeFailure(req, ctx, err, performance.now() - started);
      throw err;
    }
  }

  #observe<T>(
    req: RoutedRequest,
    ctx: RequestContext,
    r: {
      attempts: readonly Attempt[];
      target: RouteTarget;
      fallback: boolean;
      latencyMs: number;
      upstreamMs: number;
      out: OperationOutput<T>;
      cost?: { amount: number; currency: string };
    },
  ): void {
    const { metrics } = this.#o;
    const served = r.target.model.name;
    const version = r.target.version?.version ?? '';
    metrics.inferenceRequests.inc({
      operation: req.operation,
      model: req.modelId,
      served_model: served,
      version,
      outcome: 'success',
    });
    metrics.inferenceDuration.observe({ operation: req.operation, model: req.modelId }, r.latencyMs / 1000);
    metrics.upstreamDuration.observe(
      { model: served, version, provider: r.target.model.spec.provider },
      r.upstreamMs / 1000,
    );
    metrics.overhead.observe({ operation: req.operation }, Math.max(0, r.latencyMs - r.upstreamMs) / 1000);
    metrics.tokens.inc({ model: served, version, direction: 'input' }, r.out.inputTokens);
    metrics.tokens.inc({ model: served, version, direction: 'output' }, r.out.outputTokens);
    if (r.cost) metrics.cost.inc({ model: served, currency: r.cost.currency }, r.cost.amount);
    if (r.fallback) metrics.fallbacks.inc({ model: req.modelId, served_model: served });
    this.#countFailures(r.attempts);
    this.#record({
      at: new Date(),
      caller: ctx.caller,
      requestedModel: req.modelId,
      requestedVersion: req.version,
      servedModel: served,
      servedVersion: r.target.version?.version,
      ok: true,
      fallback: r.fallback,
      latencyMs: r.latencyMs,
      inputTokens: r.out.inputTokens,
      outputTokens: r.out.outputTokens,
      cost: r.cost,
    });
  }

  #observeFailure(req: RoutedRequest, ctx: RequestContext, err: unknown, latencyMs: number): void {
    // Requests for models that do not exist are the client's mistake, not a model's error rate.
    if (err instanceof ModelNotFoundError || err instanceof UnsupportedTaskError) return;
    const { metrics } = this.#o;
    metrics.inferenceRequests.inc({
      operation: req.operation,
      model: req.modelId,
      served_model: '',
      version: '',
      outcome: 'error',
    });
    metrics.inferenceDuration.observe({ operation: req.operation, model: req.modelId }, latencyMs / 1000);
    const attempts =
      err instanceof ApiError ? (err.details as { attempts?: Attempt[] } | undefined)?.attempts : undefined;
    this.#countFailures(attempts ?? []);
    this.#record({
      at: new Date(),
      caller: ctx.caller,
      requestedModel: req.modelId,
      requestedVersion: req.version,
      ok: false,
      fallback: false,
      latencyMs,
      inputTokens: 0,
      outputTokens: 0,
    });
  }

  #countFailures(attempts: readonly Attempt[]): void {
    for (const a of attempts) {
      if (a.outcome === 'failed') {
        this.#o.metrics.backendFailures.inc({
          model: a.model,
          version: a.version ?? '',
          kind: a.kind ?? 'unknown',
        });
      }
    }
  }

  #record(event: Parameters<UsageStore['record']>[0]): void {
    // Metering happens after the answer; a metering failure must never fail the request.
    this.#o.usage
      .record(event)
      .catch((err: unknown) => this.#o.logger.error({ err }, 'Recording usage failed'));
  }
}
