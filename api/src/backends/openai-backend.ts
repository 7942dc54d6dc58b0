/**
 * Serves `provider: openai` models through any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, TGI)
 * with the official SDK. The SDK's own retries are off: the router's fallback chain is the only retry loop.
 * API keys are read per call from the configured source and never logged or echoed.
 * @module
 */
import OpenAI from 'openai';
import type {
  CallContext,
  ClassifyOutput,
  EmbedOutput,
  GenerateOutput,
  GenerateParams,
  InferenceBackend,
  RouteTarget,
  TokenizeOutput,
} from './backend.js';
import { BackendError, type FailureKind } from './backend.js';

/** Finds the API key of a model: local mode reads `spec.endpoint.apiKeyEnv` from the environment. */
export type ApiKeyResolver = (target: RouteTarget) => string | undefined;

export function envApiKeyResolver(env: Readonly<Record<string, string | undefined>>): ApiKeyResolver {
  return (target) => {
    const name = target.model.spec.endpoint?.apiKeyEnv;
    return name ? env[name] : undefined;
  };
}

function retryAfterMs(headers: Headers | undefined): number | undefined {
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
  return new BackendError('upstream_error', `${baseURL}: ${(err as Error)?.message ?? String(err)}`, {
    cause: err,
  });
}

export class OpenAIBackend implements InferenceBackend {
  readonly #resolveKey: ApiKeyResolver;
  readonly #clients = new Map<string, OpenAI>();

  constructor(resolveKey: ApiKeyResolver) {
    this.#resolveKey = resolveKey;
  }

  #client(target: RouteTarget): { client: OpenAI; model: string; baseURL: string } {
    const endpoint = target.model.spec.endpoint;
    if (!endpoint) throw new BackendError('misconfigured', `Model ${target.model.name} has no spec.endpoint`);
    const apiKey = this.#resolveKey(target) ?? 'unused';
    const cacheKey = `${endpoint.baseURL}\u0000${apiKey}`;
    let client = this.#clients.get(cacheKey);
    if (!client) {
      client = new OpenAI({ apiKey, baseURL: endpoint.baseURL, maxRetries: 0 });
      this.#clients.set(cacheKey, client);
    }
    return { client, model: endpoint.model ?? target.model.name, baseURL: endpoint.baseURL };
  }

  #options(ctx: CallContext): OpenAI.RequestOptions {
    return {
      timeout: Math.max(1, ctx.deadline - Date.now()),
      signal: ctx.signal,
      headers: { 'x-request-id': ctx.requestId },
    };
  }

  async generate(
    target: RouteTarget,
    prompt: string,
    params: GenerateParams,
    ctx: CallContext,
  ): Promise<GenerateOutput> {
    const { client, model, baseURL } = this.#client(target);
    try {
      const completion = await client.chat.completions.create(
        {
          model,
          messages: [{ role: 'user', content: prompt }],
          max_tokens: params.maxTokens,
          temperature: params.temperature,
          top_p: params.topP,
          seed: params.seed,
          stop: params.stop ? [...params.stop] : undefined,
        },
        this.#options(ctx),
      );
      const choice = completion.choices[0];
      return {
        text: choice?.message.content ?? '',
        finishReason: choice?.finish_reason ?? 'stop',
        inputTokens: completion.usage?.prompt_tokens ?? 0,
        outputTokens: completion.usage?.completion_tokens ?? 0,
      };
    } catch (err) {
      throw toBackendError(err, baseURL);
    }
  }

  async embed(
    target: RouteTarget,
    texts: readonly string[],
    _normalize: boolean,
    ctx: CallContext,
  ): Promise<EmbedOutput> {
    const { client, model, baseURL } = this.#client(target);
    try {
      // float, not the SDK's default base64: not every OpenAI-compatible server (Ollama, TGI) speaks base64.
      const response = await client.embeddings.create(
        { model, input: [...texts], encoding_format: 'float' },
        this.#options(ctx),
      );
      const ordered = [...response.data].sort((a, b) => a.index - b.index);
      return { embeddings: ordered.map((d) => d.embedding), inputTokens: response.usage?.prompt_tokens ?? 0 };
    } catch (err) {
      throw toBackendError(err, baseURL);
    }
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
