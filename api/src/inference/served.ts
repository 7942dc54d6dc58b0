/**
 * The answer of the inference service, independent of the endpoint that renders it: the value, who served
 * it, what it took and what it cost.
 * @module
 */
import type { RouteTarget, StreamEvent } from '../backends/backend.js';
import type { CachedResponse } from '../cache/response-cache.js';
import type { CatalogModel } from '../catalog/catalog.js';
import type { Attempt, ChainResult } from '../routing/execute-chain.js';
import type { CacheStatus } from './cache-key.js';
import type { Observer, ServedOutcome } from './observer.js';
import type { Operation } from './operations.js';

export interface Served<T> {
  readonly value: T;
  readonly requestId: string;
  /** The model that served (a fallback's, when one did). */
  readonly modelId: string;
  readonly version?: string;
  readonly requestedModelId: string;
  readonly fallbackUsed: boolean;
  readonly attempts: readonly Attempt[];
  readonly usage: { readonly input: number; readonly output: number };
  readonly cost?: { readonly amount: number; readonly currency: string };
  readonly latencyMs: number;
  /** Time spent waiting on backends (the HTTP layer turns total minus this into the router's overhead). */
  readonly upstreamMs: number;
  readonly cache: CacheStatus;
}

/** A stream once committed: who serves it, and the events still to come. */
export type StreamServed = Omit<Served<unknown>, 'value' | 'usage' | 'cost' | 'latencyMs'> & {
  readonly events: AsyncIterable<StreamEvent>;
};

interface PreparedLike<T> {
  readonly op: Operation<T>;
  readonly model: CatalogModel;
  readonly started: number;
}

type Observed = Omit<ServedOutcome, 'operation' | 'requestedModel' | 'requestedVersion' | 'caller'>;

const round = (ms: number) => Math.round(ms * 100) / 100;

/** A cache hit: the stored value, attributed to the model and version that produced it. */
export function servedFromCache<T>(
  entry: CachedResponse,
  p: PreparedLike<T>,
  requestId: string,
): { served: Served<T>; observed: Observed } {
  const latencyMs = performance.now() - p.started;
  const version = entry.version ? p.model.versions.find((v) => v.version === entry.version) : undefined;
  const target: RouteTarget = { model: p.model, ...(version ? { version } : {}) };
  return {
    served: {
      value: JSON.parse(entry.body) as T,
      requestId,
      modelId: entry.model,
      ...(entry.version ? { version: entry.version } : {}),
      requestedModelId: p.model.name,
      fallbackUsed: false,
      attempts: [],
      usage: { input: entry.inputTokens, output: entry.outputTokens },
      latencyMs: round(latencyMs),
      upstreamMs: 0,
      cache: 'HIT',
    },
    observed: {
      target,
      fallback: false,
      attempts: [],
      upstreamMs: 0,
      inputTokens: 0,
      outputTokens: 0,
      cache: 'HIT',
      latencyMs,
    },
  };
}

export function servedFromChain<T>(
  result: ChainResult<T>,
  p: PreparedLike<T> | PreparedLike<unknown>,
  requestId: string,
  cache: CacheStatus,
  observer: Observer,
): { served: Served<T>; observed: Observed } {
  const latencyMs = performance.now() - p.started;
  const { target, fallback } = result.step;
  // Streams are served before their tokens are known; their usage is counted when they end.
  const tokens =
    'iterator' in (result.value as object)
      ? { input: 0, output: 0 }
      : (p.op as Operation<T>).tokens(result.value);
  const cost = observer.cost(target, tokens.input, tokens.output);
  return {
    served: {
      value: result.value,
      requestId,
      modelId: target.model.name,
      ...(target.version ? { version: target.version.version } : {}),
      requestedModelId: p.model.name,
      fallbackUsed: fallback,
      attempts: result.attempts,
      usage: tokens,
      ...(cost ? { cost } : {}),
      latencyMs: round(latencyMs),
      upstreamMs: result.upstreamMs,
      cache,
    },
    observed: {
      target,
      fallback,
      attempts: result.attempts,
      upstreamMs: result.upstreamMs,
      inputTokens: tokens.input,
      outputTokens: tokens.output,
      cache,
      latencyMs,
    },
  };
}
