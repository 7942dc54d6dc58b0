/**
 * Serves `provider: onnx` models through our runtimes: Open Inference Protocol v2 over gRPC, one
 * long-lived channel per runtime address, round robin across the ready addresses of a version, each
 * address behind its own circuit breaker, deadlines and cancellation passed through.
 * @module
 */
import { RuntimeClient } from '../../../runtime/src/client/index.js';
import type { GrpcStatusName } from '../../../runtime/src/errors.js';
import { RuntimeCallError } from '../../../runtime/src/errors.js';
import type { ModelRepository, ReloadResult } from '../deps.js';
import { ArtifactInvalidError } from '../errors.js';
import type { CircuitBreakers } from '../routing/circuit-breaker.js';
import {
  BackendError,
  type CallContext,
  type ClassifyOutput,
  type EmbedOutput,
  type FailureKind,
  type GenerateOutput,
  type GenerateParams,
  type GenerationInput,
  type InferenceBackend,
  type RouteTarget,
  renderChat,
  type StreamEvent,
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

/** Failures that say something about the endpoint's health (not about the request). */
const COUNTS_AGAINST_ENDPOINT: ReadonlySet<FailureKind> = new Set([
  'unavailable',
  'timeout',
  'upstream_error',
]);

export function runtimeFailure(err: unknown, address: string): BackendError {
  if (err instanceof BackendError) return err;
  if (err instanceof RuntimeCallError) {
    const kind = KIND_OF_STATUS[err.code] ?? 'upstream_error';
    const message = kind === 'rejected' ? err.message : `runtime ${address}: ${err.code}: ${err.message}`;
    return new BackendError(kind, message, { cause: err });
  }
  return new BackendError('upstream_error', `runtime ${address}: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}

const prompt = (input: GenerationInput): string =>
  input.kind === 'chat' ? renderChat(input.messages) : input.prompt;

export class RuntimeBackend implements InferenceBackend, ModelRepository {
  readonly #clients = new Map<string, RuntimeClient>();
  readonly #next = new Map<string, number>();
  readonly #breakers: CircuitBreakers;

  constructor(breakers: CircuitBreakers) {
    this.#breakers = breakers;
  }

  /** The channel to a runtime address, opened on first use and kept. */
  client(address: string): RuntimeClient {
    let client = this.#clients.get(address);
    if (!client) {
      client = new RuntimeClient(address);
      this.#clients.set(address, client);
    }
    return client;
  }

  /** Closes channels (and forgets breakers) of addresses that no longer serve anything. */
  retain(addresses: ReadonlySet<string>): void {
    for (const [address, client] of this.#clients) {
      if (addresses.has(address)) continue;
      client.close();
      this.#clients.delete(address);
    }
    this.#breakers.retain(new Set([...addresses].map((a) => `runtime:${a}`)), 'runtime:');
  }

  close(): void {
    this.retain(new Set());
  }

  /** The next address of the version whose circuit admits a request, round robin. */
  #pick(target: RouteTarget): string {
    const version = target.version;
    const addresses = version?.addresses ?? [];
    if (!version || addresses.length === 0) {
      throw new BackendError(
        'unavailable',
        `${target.model.name} ${version?.version ?? ''} has no ready runtime`,
      );
    }
    const start = this.#next.get(version.name) ?? 0;
    for (let i = 0; i < addresses.length; i++) {
      const address = addresses[(start + i) % addresses.length] as string;
      if (this.#breakers.allow(`runtime:${address}`)) {
        this.#next.set(version.name, (start + i + 1) % addresses.length);
        return address;
      }
    }
    throw new BackendError(
      'unavailable',
      `every runtime of ${target.model.name} ${version.version} is failing (circuit open)`,
      {
        circuitOpen: true,
      },
    );
  }

  async #call<T>(target: RouteTarget, fn: (client: RuntimeClient) => Promise<T>): Promise<T> {
    const address = this.#pick(target);
    const key = `runtime:${address}`;
    try {
      const value = await fn(this.client(address));
      this.#breakers.success(key);
      return value;
    } catch (err) {
      const failure = runtimeFailure(err, address);
      if (COUNTS_AGAINST_ENDPOINT.has(failure.kind)) this.#breakers.failure(key);
      else this.#breakers.success(key);
      throw failure;
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
    input: GenerationInput,
    params: GenerateParams,
    ctx: CallContext,
  ): Promise<GenerateOutput> {
    return this.#call(target, async (client) => {
      const out = await client.generate(
        { ...this.#ids(target), prompt: prompt(input), ...params },
        this.#options(ctx),
      );
      return {
        text: out.text,
        finishReason: out.finishReason,
        inputTokens: out.promptTokens,
        outputTokens: out.completionTokens,
      };
    });
  }

  /**
   * Token by token over ModelStreamInfer. The address is chosen (and its circuit consulted) once; a failure
   * before the first chunk can still move the request to another target, one after it ends the stream.
   */
  async *stream(
    target: RouteTarget,
    input: GenerationInput,
    params: GenerateParams,
    ctx: CallContext,
  ): AsyncIterable<StreamEvent> {
    const address = this.#pick(target);
    const key = `runtime:${address}`;
    const chunks = this.client(address).generateStream(
      { ...this.#ids(target), prompt: prompt(input), ...params },
      this.#options(ctx),
    );
    let last: { finishReason?: string; promptTokens?: number; completionTokens?: number } = {};
    try {
      for await (const chunk of chunks) {
        if (chunk.text) yield { type: 'text', text: chunk.text };
        if (chunk.finishReason) last = chunk;
      }
      this.#breakers.success(key);
    } catch (err) {
      const failure = runtimeFailure(err, address);
      if (COUNTS_AGAINST_ENDPOINT.has(failure.kind)) this.#breakers.failure(key);
      else this.#breakers.success(key);
      throw failure;
    }
    yield {
      type: 'done',
      finishReason: last.finishReason ?? 'stop',
      inputTokens: last.promptTokens ?? 0,
      outputTokens: last.completionTokens ?? 0,
    };
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

  /** Asks every runtime of the version to re-fetch, verify and reload the artifact; old models serve meanwhile. */
  async reload(target: RouteTarget, ctx: CallContext): Promise<ReloadResult> {
    const addresses = target.version?.addresses ?? [];
    if (addresses.length === 0)
      throw new BackendError('unavailable', `${target.model.name} has no ready runtime`);
    const results = await Promise.all(addresses.map((address) => this.#reloadOne(address, target, ctx)));
    return results.find((r) => r.state !== 'READY') ?? results[0] ?? { state: 'UNKNOWN' };
  }

  async #reloadOne(address: string, target: RouteTarget, ctx: CallContext): Promise<ReloadResult> {
    const client = this.client(address);
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
      throw runtimeFailure(err, address);
    }
  }
}
