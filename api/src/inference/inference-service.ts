/**
 * The inference use cases: find the model, check it can do the operation, consult the response cache,
 * build the fallback chain and walk it (retries, circuit breakers, deadlines), then meter and count.
 * Identical concurrent misses are computed once. Streams commit to a target at their first event.
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { StreamEvent } from '../backends/backend.js';
import type { BackendRegistry } from '../backends/registry.js';
import type { CachedResponse, ResponseCache } from '../cache/response-cache.js';
import type { Catalog, CatalogModel } from '../catalog/catalog.js';
import { ModelNotFoundError, UnsupportedTaskError } from '../errors.js';
import type { OutputGuardrails } from '../guardrails/output-guard.js';
import { type ChainResult, executeChain } from '../routing/execute-chain.js';
import { buildFallbackChain, type FallbackChain } from '../routing/fallback-chain.js';
import type { RetryPolicy } from '../routing/retry.js';
import { type CacheMode, type CachePlan, type CacheStatus, cachePlan } from './cache-key.js';
import { type Observer, routedVersion } from './observer.js';
import type { Operation, StreamingOperation } from './operations.js';
import { enterGates, type GatePass, type RequestGate } from './request-gate.js';
import { type Served, type StreamServed, servedFromCache, servedFromChain } from './served.js';
import { midStreamFailure, replay, type StoredStream, StreamRecording } from './stream-recording.js';
import { estimateUsage } from './usage-estimate.js';

export interface RoutingRequest {
  readonly modelId: string;
  readonly version?: string;
  readonly useFallbacks: boolean;
}

export interface RequestContext {
  readonly requestId: string;
  /** Who is calling (API key owner); `anonymous` until API keys exist. */
  readonly caller: string;
  readonly signal?: AbortSignal;
  /** Overrides the configured timeout for this request (epoch ms). */
  readonly deadline?: number;
  /** The caller's own timeout (`x-router-timeout-ms`); the configured one still caps it. */
  readonly timeoutMs?: number;
  readonly cache?: CacheMode;
  /** When the request arrived (performance.now()), so latency counts the HTTP work before the service. */
  readonly receivedAt?: number;
  /** The request's headers, for a traffic split sticky by header (absent for batch items). */
  readonly headers?: IncomingHttpHeaders;
}

export interface InferenceServiceOptions {
  readonly catalog: Catalog;
  readonly backends: BackendRegistry;
  readonly cache: ResponseCache;
  readonly observer: Observer;
  readonly logger: Logger;
  readonly timeoutMs: number;
  readonly attemptTimeoutMs: number;
  readonly retry: RetryPolicy;
  /** TTL for models whose AIModel sets none. */
  readonly defaultCacheTtlSeconds: number;
  /** Checks every request passes before the cache or a backend is asked (budgets, input guardrails). */
  readonly gates?: readonly RequestGate[];
  /** Output guardrails, applied to every answer as it is served (cached ones too). */
  readonly output?: OutputGuardrails;
}

interface Prepared<T> {
  readonly op: Operation<T>;
  readonly model: CatalogModel;
  readonly chain: FallbackChain;
  readonly plan: CachePlan;
  readonly deadline: number;
  readonly started: number;
}

export class InferenceService {
  readonly #o: InferenceServiceOptions;
  readonly #inflight = new Map<string, Promise<ChainResult<unknown>>>();

  constructor(options: InferenceServiceOptions) {
    this.#o = options;
  }

  #model(id: string, op: Operation<unknown>): CatalogModel {
    const model = this.#o.catalog.model(id);
    if (!model) throw new ModelNotFoundError(`No model named ${id}`, { model_id: id });
    if (!op.accepts(model)) {
      throw new UnsupportedTaskError(`Model ${id} does not support ${op.need}`, {
        model_id: id,
        capabilities: model.spec.capabilities,
      });
    }
    return model;
  }

  #prepare<T>(op: Operation<T>, req: RoutingRequest, ctx: RequestContext): Prepared<T> {
    const started = ctx.receivedAt ?? performance.now();
    const model = this.#model(req.modelId, op as Operation<unknown>);
    const chain = buildFallbackChain({
      model,
      requestedVersion: req.version,
      accepts: (m) => op.accepts(m),
      need: op.need,
      useFallbacks: op.fallbacks && req.useFallbacks,
      lookup: (name) => this.#o.catalog.model(name),
      traffic: { caller: ctx.caller, header: (name) => firstValue(ctx.headers?.[name]) },
    });
    const first = chain.steps[0]?.target;
    const plan = cachePlan({
      mode: ctx.cache ?? 'default',
      deterministic: op.deterministic(model),
      ttlSeconds: model.spec.cache?.ttlSeconds ?? this.#o.defaultCacheTtlSeconds,
      model: model.name,
      version: first?.version?.version,
      operation: op.name,
      fields: op.fields,
      // Answers are the caller's own unless the model opts in to sharing them (spec.cache.scope: shared).
      ...(model.spec.cache?.scope === 'shared' ? {} : { partition: ctx.caller }),
    });
    const timeoutMs = Math.min(ctx.timeoutMs ?? this.#o.timeoutMs, this.#o.timeoutMs);
    return { op, model, chain, plan, deadline: ctx.deadline ?? Date.now() + timeoutMs, started };
  }

  async #lookup(plan: CachePlan): Promise<{ status: CacheStatus; value?: CachedResponse }> {
    if (!plan.key) return { status: plan.status };
    const found = await this.#o.cache.get(plan.key);
    if (found.status === 'hit') return { status: 'HIT', value: found.value };
    return { status: found.status === 'error' ? 'ERROR' : 'MISS' };
  }

  #walk<T>(
    p: Prepared<unknown>,
    call: Parameters<typeof executeChain<T>>[1],
    ctx: RequestContext,
  ): Promise<ChainResult<T>> {
    return executeChain(p.chain, call, {
      deadline: p.deadline,
      attemptTimeoutMs: this.#o.attemptTimeoutMs,
      retry: this.#o.retry,
      signal: ctx.signal,
      onRetry: (target) => this.#o.observer.retried(target.model.name),
      refusal: (target) => p.op.refusal?.(this.#o.backends.for(target), target),
    });
  }

  /** Runs a non-streamed operation. */
  async run<T>(op: Operation<T>, req: RoutingRequest, ctx: RequestContext): Promise<Served<T>> {
    const { served, model } = await this.#run(op, req, ctx);
    // After metering: a blocked answer was still computed (and is cached as the model gave it).
    const output = this.#o.output;
    if (!output) return served;
    const value = output.value(op, model, served.value, ctx.requestId);
    return value === served.value ? served : { ...served, value };
  }

  async #run<T>(
    op: Operation<T>,
    req: RoutingRequest,
    ctx: RequestContext,
  ): Promise<{ served: Served<T>; model: CatalogModel }> {
    const p = this.#prepare(op, req, ctx);
    const outcome = {
      operation: op.name,
      requestedModel: p.model.name,
      requestedVersion: req.version,
      routedVersion: routedVersion(p.chain),
      caller: ctx.caller,
    };
    let pass: GatePass | undefined;
    try {
      pass = await this.#enter(p, ctx);
      const cached = await this.#lookup(p.plan);
      if (cached.value) {
        const served = servedFromCache<T>(cached.value, p, ctx.requestId);
        this.#o.observer.served({ ...outcome, ...served.observed });
        pass.settle({ target: served.observed.target, inputTokens: 0, outputTokens: 0, cacheHit: true });
        return { served: served.served, model: p.model };
      }
      const compute = () =>
        this.#walk<T>(
          p,
          (target, attemptDeadline, upstream) =>
            op.call(this.#o.backends.for(target), target, {
              deadline: attemptDeadline,
              requestId: ctx.requestId,
              signal: ctx.signal,
              upstream,
            }),
          ctx,
        );
      const result =
        p.plan.key && cached.status !== 'ERROR' ? await this.#once(p.plan.key, compute) : await compute();
      const served = servedFromChain(result, p, ctx.requestId, cached.status, this.#o.observer);
      if (p.plan.key && result.stepIndex === 0 && keeps(op.sampled?.(result.value), ctx))
        this.#store(p.plan, result.step.target, result.value, op.tokens(result.value));
      this.#o.observer.served({ ...outcome, ...served.observed });
      const tokens = op.tokens(result.value);
      pass.settle({
        target: result.step.target,
        inputTokens: tokens.input,
        outputTokens: tokens.output,
        cacheHit: false,
      });
      return { served: served.served, model: p.model };
    } catch (err) {
      pass?.settle(undefined);
      this.#o.observer.failed({ ...outcome, latencyMs: performance.now() - p.started }, err);
      throw err;
    }
  }

  #enter(p: Prepared<unknown>, ctx: RequestContext): Promise<GatePass> {
    return enterGates(this.#o.gates ?? [], {
      requestId: ctx.requestId,
      caller: ctx.caller,
      model: p.model,
      op: p.op,
    });
  }

  /** Identical concurrent misses share one computation. */
  async #once<T>(key: string, compute: () => Promise<ChainResult<T>>): Promise<ChainResult<T>> {
    const running = this.#inflight.get(key) as Promise<ChainResult<T>> | undefined;
    if (running) return running;
    const promise = compute().finally(() => this.#inflight.delete(key));
    this.#inflight.set(key, promise as Promise<ChainResult<unknown>>);
    return promise;
  }

  #store(
    plan: CachePlan,
    target: { model: CatalogModel; version?: { version: string } },
    value: unknown,
    tokens: { input: number; output: number },
  ): void {
    if (!plan.key || plan.ttlSeconds <= 0) return;
    const entry: CachedResponse = {
      body: JSON.stringify(value),
      model: target.model.name,
      version: target.version?.version,
      storedAt: Date.now(),
      inputTokens: tokens.input,
      outputTokens: tokens.output,
    };
    void this.#o.cache.set(plan.key, entry, plan.ttlSeconds);
  }

  /**
   * Starts a streamed generation: resolves once a target has produced its first event (or the cache
   * answered), with the events to relay; before that, failures move through the fallback chain like any
   * call, after it they end the stream.
   */
  async stream(
    op: StreamingOperation<unknown>,
    req: RoutingRequest,
    ctx: RequestContext,
  ): Promise<StreamServed> {
    const p = this.#prepare(op, req, ctx);
    const outcome = {
      operation: 'generate',
      requestedModel: p.model.name,
      requestedVersion: req.version,
      routedVersion: routedVersion(p.chain),
      caller: ctx.caller,
    };
    let pass: GatePass | undefined;
    try {
      pass = await this.#enter(p, ctx);
      const cached = await this.#lookup(p.plan);
      if (cached.value) {
        const { served, observed } = servedFromCache<StoredStream>(
          cached.value,
          p as Prepared<StoredStream>,
          ctx.requestId,
        );
        this.#o.observer.served({ ...outcome, ...observed });
        pass.settle({ target: observed.target, inputTokens: 0, outputTokens: 0, cacheHit: true });
        return { ...served, events: this.#guard(p.model, replay(served.value), ctx) };
      }
      const result = await this.#walk(
        p,
        async (target, attemptDeadline) => {
          const iterator = op
            .stream(this.#o.backends.for(target), target, {
              deadline: attemptDeadline,
              requestId: ctx.requestId,
              signal: ctx.signal,
            })
            [Symbol.asyncIterator]();
          const first = await iterator.next();
          return { iterator, first, at: performance.now() };
        },
        ctx,
      );
      const { served } = servedFromChain(result, p, ctx.requestId, cached.status, this.#o.observer);
      const events = this.#relay(result, p, ctx, { outcome, cache: cached.status, pass });
      return { ...served, events: this.#guard(p.model, events, ctx) };
    } catch (err) {
      pass?.settle(undefined);
      this.#o.observer.failed({ ...outcome, latencyMs: performance.now() - p.started }, err);
      throw err;
    }
  }

  /** Outside the relay, so the cache records the stream as the model gave it. */
  #guard(
    model: CatalogModel,
    events: AsyncIterable<StreamEvent>,
    ctx: RequestContext,
  ): AsyncIterable<StreamEvent> {
    return this.#o.output ? this.#o.output.events(model, events, ctx.requestId) : events;
  }

  async *#relay(
    result: ChainResult<{
      iterator: AsyncIterator<StreamEvent>;
      first: IteratorResult<StreamEvent>;
      at: number;
    }>,
    p: Prepared<unknown>,
    ctx: RequestContext,
    relay: {
      outcome: {
        operation: string;
        requestedModel: string;
        requestedVersion?: string;
        routedVersion?: string;
        caller: string;
      };
      cache: CacheStatus;
      pass: GatePass;
    },
  ): AsyncIterable<StreamEvent> {
    const { outcome, cache, pass } = relay;
    const { iterator, first, at } = result.value;
    const recorded = new StreamRecording();
    let next = first;
    let broken: unknown;
    try {
      while (!next.done) {
        recorded.add(next.value);
        yield next.value;
        next = await iterator.next().catch((err: unknown) => {
          broken = err;
          throw err;
        });
      }
    } finally {
      if (!next.done && broken === undefined) await iterator.return?.();
      const target = result.step.target;
      const latencyMs = performance.now() - p.started;
      // A stream that broke or was abandoned still read its prompt and used what it produced: the backend's
      // totals when it said them, else estimates (a client cannot make its prompts free by hanging up).
      pass.settle({
        target,
        inputTokens: recorded.done?.inputTokens ?? estimateUsage(p.op, p.model).inputTokens,
        outputTokens: recorded.done?.outputTokens ?? recorded.outputTokensEstimate(),
        cacheHit: false,
      });
      if (broken !== undefined) {
        // Broken after it committed: the request failed, and the attempt counts as its kind of failure.
        this.#o.observer.failed({ ...outcome, latencyMs }, midStreamFailure(broken, result));
      } else
        this.#o.observer.served({
          ...outcome,
          target,
          fallback: result.step.fallback,
          attempts: result.attempts,
          // The upstream time of a stream is all of it after the router handed the request over.
          upstreamMs: result.upstreamMs + (performance.now() - at),
          inputTokens: recorded.done?.inputTokens ?? 0,
          outputTokens: recorded.done?.outputTokens ?? 0,
          cache,
          latencyMs,
          ttftMs: at - p.started,
        });
      const stored = recorded.stored();
      if (stored && p.plan.key && result.stepIndex === 0 && keeps(recorded.done?.sampled, ctx))
        this.#store(p.plan, target, stored, { input: stored.inputTokens, output: stored.outputTokens });
    }
  }
}

/**
 * Whether a computed answer goes into the cache: not when its backend said it sampled (a runtime sampling by
 * its generation_config.json although the request looked greedy), unless the caller forced caching.
 */
function keeps(sampled: boolean | undefined, ctx: RequestContext): boolean {
  return sampled !== true || ctx.cache === 'force';
}

/** A header's value; of a repeated header, the first. */
function firstValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
