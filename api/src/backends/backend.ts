/**
 * The seam between routing and whatever serves a model: our runtimes over gRPC, or an OpenAI-compatible
 * endpoint. Every backend speaks these operations and fails with a BackendError whose `kind` tells the
 * router whether the next target of the fallback chain may succeed where this one failed.
 * @module
 */
import type { CatalogModel, CatalogVersion } from '../catalog/catalog.js';

export interface RouteTarget {
  readonly model: CatalogModel;
  /** Absent for an external model served straight from its endpoint. */
  readonly version?: CatalogVersion;
}

export interface CallContext {
  /** Epoch milliseconds after which the call is abandoned. */
  readonly deadline: number;
  readonly requestId: string;
  readonly signal?: AbortSignal;
}

export interface GenerateParams {
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly seed?: number;
  readonly stop?: readonly string[];
}

export interface GenerateOutput {
  readonly text: string;
  readonly finishReason: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

export interface Classification {
  readonly label: string;
  readonly score: number;
  readonly scores: Readonly<Record<string, number>>;
}

export interface ClassifyOutput {
  readonly results: readonly Classification[];
  readonly inputTokens: number;
}

export interface EmbedOutput {
  readonly embeddings: readonly (readonly number[])[];
  readonly inputTokens: number;
}

export interface TokenizeOutput {
  readonly tokens: readonly string[];
  readonly ids: readonly number[];
}

export interface InferenceBackend {
  generate(
    target: RouteTarget,
    prompt: string,
    params: GenerateParams,
    ctx: CallContext,
  ): Promise<GenerateOutput>;
  classify(
    target: RouteTarget,
    texts: readonly string[],
    topK: number | undefined,
    ctx: CallContext,
  ): Promise<ClassifyOutput>;
  embed(
    target: RouteTarget,
    texts: readonly string[],
    normalize: boolean,
    ctx: CallContext,
  ): Promise<EmbedOutput>;
  tokenize(target: RouteTarget, text: string, ctx: CallContext): Promise<TokenizeOutput>;
}

/**
 * - unavailable: could not reach it, or it is not serving (connection refused, UNAVAILABLE, not loaded)
 * - timeout: the deadline passed
 * - overloaded: it refused for load (429, RESOURCE_EXHAUSTED)
 * - upstream_error: it failed on its side (5xx, INTERNAL)
 * - misconfigured: it does not know the model, or refused our credentials (404, 401, 403)
 * - rejected: the request itself is invalid for it (400, INVALID_ARGUMENT); another target would refuse too
 * - cancelled: the caller went away
 */
export type FailureKind =
  | 'unavailable'
  | 'timeout'
  | 'overloaded'
  | 'upstream_error'
  | 'misconfigured'
  | 'rejected'
  | 'cancelled';

export class BackendError extends Error {
  readonly kind: FailureKind;
  /** Set when the backend said how long to wait (Retry-After). */
  readonly retryAfterMs?: number;

  constructor(kind: FailureKind, message: string, options?: { cause?: unknown; retryAfterMs?: number }) {
    super(message, { cause: options?.cause });
    this.name = 'BackendError';
    this.kind = kind;
    this.retryAfterMs = options?.retryAfterMs;
  }
}
