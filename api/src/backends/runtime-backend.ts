/**
 * Serves `provider: onnx` models through our runtimes: Open Inference Protocol v2 over gRPC, one
 * long-lived channel per runtime endpoint, deadlines and cancellation passed through.
 * @module
 */
import { RuntimeClient } from '../../../runtime/src/client/index.js';
import type { GrpcStatusName } from '../../../runtime/src/errors.js';
import { RuntimeCallError } from '../../../runtime/src/errors.js';
import type { ModelRepository, ReloadResult } from '../deps.js';
import { ArtifactInvalidError } from '../errors.js';
import {
  BackendError,
  type CallContext,
  type ClassifyOutput,
  type EmbedOutput,
  type FailureKind,
  type GenerateOutput,
  type GenerateParams,
  type InferenceBackend,
  type RouteTarget,
  type TokenizeOutput,
} from './backend.js';

const KIND_OF_STATUS: Partial<Record<GrpcStatusName, FailureKind>> = {
  UNAVAILABLE: 'unavailable',
  DEADLINE_EXCEEDED: 'timeout',
  RESOURCE_EXHAUSTED: 'overloaded',
  NOT_FOUND: 'misconfigured',
  FAILED_PRECONDITION: 'misconfigured',
  UNIMPLEMENTED: 'misconfigured',
  PERMISSION_DENIED: 'misconfigured',
  UNAUTHENTICATED: 'misconfigured',
  INVALID_ARGUMENT: 'rejected',
  OUT_OF_RANGE: 'rejected',
  CANCELLED: 'cancelled',
};

export function runtimeFailure(err: unknown, endpoint: string): BackendError {
  if (err instanceof RuntimeCallError) {
    const kind = KIND_OF_STATUS[err.code] ?? 'upstream_error';
    const message = kind === 'rejected' ? err.message : `runtime ${endpoint}: ${err.code}: ${err.message}`;
    return new BackendError(kind, message, { cause: err });
  }
  return new BackendError(
    'upstream_error',
    `runtime ${endpoint}: ${(err as Error)?.message ?? String(err)}`,
    {
      cause: err,
    },
  );
}

export class RuntimeBackend implements InferenceBackend, ModelRepository {
  readonly #clients = new Map<string, RuntimeClient>();

  /** The channel to a runtime endpoint, opened on first use and kept. */
  client(endpoint: string): RuntimeClient {
    let client = this.#clients.get(endpoint);
    if (!client) {
      client = new RuntimeClient(endpoint);
      this.#clients.set(endpoint, client);
    }
    return client;
  }

  /** Closes channels to endpoints that no longer serve anything. */
  retain(endpoints: ReadonlySet<string>): void {
    for (const [endpoint, client] of this.#clients) {
      if (endpoints.has(endpoint)) continue;
      client.close();
      this.#clients.delete(endpoint);
    }
  }

  close(): void {
    this.retain(new Set());
  }

  async #call<T>(
    target: RouteTarget,
    fn: (client: RuntimeClient, endpoint: string) => Promise<T>,
  ): Promise<T> {
    const endpoint = target.version?.endpoint;
    if (!endpoint) {
      throw new BackendError(
        'unavailable',
        `${target.model.name} ${target.version?.version ?? ''} has no ready runtime`,
      );
    }
    try {
      return await fn(this.client(endpoint), endpoint);
    } catch (err) {
      throw runtimeFailure(err, endpoint);
    }
  }

  #ids(target: RouteTarget): { model: string; version: string } {
    return { model: target.model.name, version: target.version?.version ?? '' };
  }

  #options(ctx: CallContext) {
    return { deadline: new Date(ctx.deadline), signal: ctx.signal, requestId: ctx.requestId };
  }

  generate(
    target: RouteTarget,
    prompt: string,
    params: GenerateParams,
    ctx: CallContext,
  ): Promise<GenerateOutput> {
    return this.#call(target, async (client) => {
      const out = await client.generate({ ...this.#ids(target), prompt, ...params }, this.#options(ctx));
      return {
        text: out.text,
        finishReason: out.finishReason,
        inputTokens: out.promptTokens,
        outputTokens: out.completionTokens,
      };
    });
  }

  classify(
    target: RouteTarget,
    texts: readonly string[],
    topK: number | undefined,
    ctx: CallContext,
  ): Promise<ClassifyOutput> {
    return this.#call(target, async (client) => {
      const out = await client.classify({ ...this.#ids(target), texts, topK }, this.#options(ctx));
      return { results: out.results, inputTokens: out.promptTokens };
    });
  }

  embed(
    target: RouteTarget,
    texts: readonly string[],
    normalize: boolean,
    ctx: CallContext,
  ): Promise<EmbedOutput> {
    return this.#call(target, async (client) => {
      const out = await client.embed({ ...this.#ids(target), texts, normalize }, this.#options(ctx));
      return { embeddings: out.embeddings, inputTokens: out.promptTokens };
    });
  }

  tokenize(target: RouteTarget, text: string, ctx: CallContext): Promise<TokenizeOutput> {
    return this.#call(target, (client) =>
      client.tokenize({ ...this.#ids(target), text }, this.#options(ctx)),
    );
  }

  /** Asks the runtime to re-fetch, verify and reload the artifact; the old model serves meanwhile. */
  async reload(target: RouteTarget, ctx: CallContext): Promise<ReloadResult> {
    const endpoint = target.version?.endpoint;
    const client = endpoint ? this.client(endpoint) : undefined;
    if (!client || !endpoint)
      throw new BackendError('unavailable', `${target.model.name} has no ready runtime`);
    try {
      await client.loadModel(target.model.name, this.#options(ctx));
      const entry = (await client.repositoryIndex(this.#options(ctx))).find(
        (m) => m.name === target.model.name,
      );
      return { state: entry?.state ?? 'UNKNOWN', ...(entry?.reason ? { reason: entry.reason } : {}) };
    } catch (err) {
      if (err instanceof RuntimeCallError && err.code === 'FAILED_PRECONDITION') {
        throw new ArtifactInvalidError(err.message, {
          model_id: target.model.name,
          version: target.version?.version,
        });
      }
      throw runtimeFailure(err, endpoint);
    }
  }
}
