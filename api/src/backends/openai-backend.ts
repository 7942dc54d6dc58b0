/**
 * Serves `provider: openai` models through any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, TGI) with
 * the official SDK. The SDK's own retries are off: the router's retry loop and fallback chain are the only
 * ones. API keys are read per call from the configured source and never logged or echoed. Each endpoint
 * has a circuit breaker.
 * @module
 */
import OpenAI from 'openai';
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
  type StreamEvent,
  type TokenizeOutput,
  type UpstreamClock,
} from './backend.js';
import { createUpstreamFetch, type UpstreamFetchInit } from './upstream-fetch.js';

/** Finds the API key of a model: an environment variable locally, a Secret in a cluster. */
export type ApiKeyResolver = (target: RouteTarget) => string | undefined;

export function envApiKeyResolver(env: Readonly<Record<string, string | undefined>>): ApiKeyResolver {
  return (target) => {
    const name = target.model.spec.endpoint?.apiKeyEnv;
    return name ? env[name] : undefined;
  };
}

function retryAfterMs(headers: Headers | undefined): number | undefined {
  const ms = headers?.get('retry-after-ms');
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms));
  const value = headers?.get('retry-after');
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

function kindOfStatus(status: number): FailureKind {
  if (status === 429) return 'overloaded';
  if (status === 401 || status === 403 || status === 404) return 'misconfigured';
  if (status === 408) return 'timeout';
  if (status >= 500) return 'upstream_error';
  return 'rejected';
}

/** Maps SDK errors onto the router's failure kinds. */
export function toBackendError(err: unknown, baseURL: string): BackendError {
  if (err instanceof BackendError) return err;
  if (err instanceof OpenAI.APIUserAbortError)
    return new BackendError('cancelled', 'Request cancelled', { cause: err });
  if (err instanceof OpenAI.APIConnectionTimeoutError) {
    return new BackendError('timeout', `${baseURL} did not answer in time`, { cause: err });
  }
  if (err instanceof OpenAI.APIConnectionError) {
    return new BackendError('unavailable', `Cannot reach ${baseURL}: ${err.message}`, { cause: err });
  }
  if (err instanceof OpenAI.APIError && typeof err.status === 'number') {
    return new BackendError(kindOfStatus(err.status), `${baseURL} answered ${err.status}: ${err.message}`, {
      cause: err,
      retryAfterMs: retryAfterMs(err.headers),
    });
  }
  // A stream that breaks after it started (bad chunk, connection reset) is the upstream's failure.
  return new BackendError('upstream_error', `${baseURL}: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}

/** The SDK spreads `fetchOptions` into the init it hands its fetch; ours reads the clock from there. */
function clockOption(clock: UpstreamClock): NonNullable<OpenAI.RequestOptions['fetchOptions']> {
  const init: Pick<UpstreamFetchInit, 'upstreamClock'> = { upstreamClock: clock };
  return init as NonNullable<OpenAI.RequestOptions['fetchOptions']>;
}

const COUNTS_AGAINST_ENDPOINT: ReadonlySet<FailureKind> = new Set([
  'unavailable',
  'timeout',
  'upstream_error',
]);

interface Upstream {
  readonly client: OpenAI;
  readonly model: string;
  readonly baseURL: string;
  readonly breaker: string;
}

export class OpenAIBackend implements InferenceBackend {
  readonly #resolveKey: ApiKeyResolver;
  readonly #breakers: CircuitBreakers;
  readonly #clients = new Map<string, OpenAI>();
  readonly #transport = createUpstreamFetch();

  constructor(resolveKey: ApiKeyResolver, breakers: CircuitBreakers) {
    this.#resolveKey = resolveKey;
    this.#breakers = breakers;
  }

  /** Closes pooled upstream connections. */
  close(): void {
    this.#transport.close();
    this.#clients.clear();
  }

  /** A self-hosted version (protocol openai) is reached at its Service; otherwise the AIModel's endpoint. */
  #upstream(target: RouteTarget): Upstream {
    const endpoint = target.model.spec.endpoint;
    const selfHosted = target.version?.status?.protocol === 'openai' ? target.version.endpoint : undefined;
    const baseURL = selfHosted ?? endpoint?.baseURL;
    if (!baseURL) throw new BackendError('misconfigured', `Model ${target.model.name} has no endpoint`);
    const breaker = `openai:${baseURL}`;
    if (!this.#breakers.allow(breaker)) {
      throw new BackendError('unavailable', `${baseURL} is failing (circuit open)`, { circuitOpen: true });
    }
    const apiKey = this.#resolveKey(target) ?? 'unused';
    const cacheKey = `${baseURL}\u0000${apiKey}`;
    let client = this.#clients.get(cacheKey);
    if (!client) {
      client = new OpenAI({ apiKey, baseURL, maxRetries: 0, fetch: this.#transport.fetch });
      this.#clients.set(cacheKey, client);
    }
    return { client, model: endpoint?.model ?? target.model.name, baseURL, breaker };
  }

  #options(ctx: CallContext): OpenAI.RequestOptions {
    return {
      timeout: Math.max(1, ctx.deadline - Date.now()),
      signal: ctx.signal,
      headers: { 'x-request-id': ctx.requestId },
      // The SDK spreads fetchOptions into the init it hands its fetch (ours reads the clock from there).
      ...(ctx.upstream ? { fetchOptions: clockOption(ctx.upstream) } : {}),
    };
  }

  async #call<T>(target: RouteTarget, fn: (u: Upstream) => Promise<T>): Promise<T> {
    const upstream = this.#upstream(target);
    try {
      const value = await fn(upstream);
      this.#breakers.success(upstream.breaker);
      return value;
    } catch (err) {
      const failure = toBackendError(err, upstream.baseURL);
      if (COUNTS_AGAINST_ENDPOINT.has(failure.kind)) this.#breakers.failure(upstream.breaker);
      else this.#breakers.success(upstream.breaker);
      throw failure;
    }
  }

  #chatBody(model: string, input: GenerationInput & { kind: 'chat' }, params: GenerateParams) {
    return {
      model,
      messages: input.messages.map((m) => ({
        role: m.role,
        content: m.content,
      })) as OpenAI.ChatCompletionMessageParam[],
      max_tokens: params.maxTokens,
      temperature: params.temperature,
      top_p: params.topP,
      seed: params.seed,
      stop: params.stop ? [...params.stop] : undefined,
    };
  }

  #completionBody(model: string, prompt: string, params: GenerateParams) {
    return {
      model,
      prompt,
      max_tokens: params.maxTokens,
      temperature: params.temperature,
      top_p: params.topP,
      seed: params.seed,
      stop: params.stop ? [...params.stop] : undefined,
    };
  }

  generate(
    target: RouteTarget,
    input: GenerationInput,
    params: GenerateParams,
    ctx: CallContext,
  ): Promise<GenerateOutput> {
    return this.#call(target, async ({ client, model }) => {
      if (input.kind === 'completion') {
        const completion = await client.completions.create(
          this.#completionBody(model, input.prompt, params),
          this.#options(ctx),
        );
        const choice = completion.choices[0];
        return {
          text: choice?.text ?? '',
          finishReason: choice?.finish_reason ?? 'stop',
          inputTokens: completion.usage?.prompt_tokens ?? 0,
          outputTokens: completion.usage?.completion_tokens ?? 0,
        };
      }
      const completion = await client.chat.completions.create(
        this.#chatBody(model, input, params),
        this.#options(ctx),
      );
      const choice = completion.choices[0];
      return {
        text: choice?.message.content ?? '',
        finishReason: choice?.finish_reason ?? 'stop',
        inputTokens: completion.usage?.prompt_tokens ?? 0,
        outputTokens: completion.usage?.completion_tokens ?? 0,
      };
    });
  }

  async *stream(
    target: RouteTarget,
    input: GenerationInput,
    params: GenerateParams,
    ctx: CallContext,
  ): AsyncIterable<StreamEvent> {
    const upstream = this.#upstream(target);
    const usage = { finishReason: 'stop', inputTokens: 0, outputTokens: 0 };
    try {
      const chunks = await this.#openStream(upstream, input, params, ctx);
      for await (const chunk of chunks) {
        const choice = chunk.choices[0];
        const text = choice && ('delta' in choice ? choice.delta?.content : choice.text);
        if (text) yield { type: 'text', text };
        if (choice?.finish_reason) usage.finishReason = choice.finish_reason;
        // The final chunk carries usage (stream_options.include_usage): what the upstream bills.
        if (chunk.usage) {
          usage.inputTokens = chunk.usage.prompt_tokens;
          usage.outputTokens = chunk.usage.completion_tokens;
        }
      }
      this.#breakers.success(upstream.breaker);
    } catch (err) {
      const failure = toBackendError(err, upstream.baseURL);
      if (COUNTS_AGAINST_ENDPOINT.has(failure.kind)) this.#breakers.failure(upstream.breaker);
      throw failure;
    }
    yield { type: 'done', ...usage };
  }

  /** Chat and completion chunks differ only in where the text sits; both carry usage at the end. */
  async #openStream(
    upstream: Upstream,
    input: GenerationInput,
    params: GenerateParams,
    ctx: CallContext,
  ): Promise<AsyncIterable<OpenAI.ChatCompletionChunk | OpenAI.Completion>> {
    const streaming = { stream: true as const, stream_options: { include_usage: true } };
    if (input.kind === 'chat') {
      return upstream.client.chat.completions.create(
        { ...this.#chatBody(upstream.model, input, params), ...streaming },
        this.#options(ctx),
      );
    }
    return upstream.client.completions.create(
      { ...this.#completionBody(upstream.model, input.prompt, params), ...streaming },
      this.#options(ctx),
    );
  }

  embed(
    target: RouteTarget,
    texts: readonly string[],
    _normalize: boolean,
    ctx: CallContext,
  ): Promise<EmbedOutput> {
    return this.#call(target, async ({ client, model }) => {
      // float, not the SDK's default base64: not every OpenAI-compatible server (Ollama, TGI) speaks base64.
      const response = await client.embeddings.create(
        { model, input: [...texts], encoding_format: 'float' },
        this.#options(ctx),
      );
      const ordered = [...response.data].sort((a, b) => a.index - b.index);
      return { embeddings: ordered.map((d) => d.embedding), inputTokens: response.usage?.prompt_tokens ?? 0 };
    });
  }

  classify(target: RouteTarget): Promise<ClassifyOutput> {
    return Promise.reject(
      new BackendError(
        'rejected',
        `Model ${target.model.name} is served by an OpenAI-compatible API, which has no classification`,
      ),
    );
  }

  tokenize(target: RouteTarget): Promise<TokenizeOutput> {
    return Promise.reject(
      new BackendError(
        'rejected',
        `Model ${target.model.name} is served by an OpenAI-compatible API, which has no tokenizer endpoint`,
      ),
    );
  }
}
