/**
 * Serves `provider: openai` models through any OpenAI-compatible endpoint (OpenAI, vLLM, Ollama, TGI).
 * A client's OpenAI request is passed through as it was sent, but for `model` (the target's provider model
 * name) and, on streams, a request for the usage the router meters; the answer comes back byte for byte
 * (see ./upstream-client.ts). The REST API's requests are written as OpenAI bodies the same way. No SDK:
 * the router's retry loop and fallback chain are the only retries. API keys are read per call from the
 * configured source and never logged or echoed: every failure's text is scrubbed of the key and of the base
 * URL (named `upstream of model x` instead) before it leaves the backend (./scrub.ts). Each endpoint has a circuit breaker, settled on every exit
 * path (a stream abandoned by its client included).
 * @module
 */
import type { CircuitBreakers } from '../routing/circuit-breaker.js';
import { policyOf } from '../routing/failure-policy.js';
import {
  BackendError,
  type CallContext,
  type ChatMessage,
  type ClassifyOutput,
  type EmbedOptions,
  type EmbedOutput,
  type ForwardedAnswer,
  type ForwardRequest,
  type GenerateOutput,
  type GenerateParams,
  type GenerationInput,
  type InferenceBackend,
  type OpenAIPath,
  type RouteTarget,
  type StreamEvent,
  type TokenizeOutput,
} from './backend.js';
import { dataOf, finishOf, textOf, usageOf, usageOfText } from './openai-answers.js';
import { scrubbed, upstreamFailure } from './openai-failures.js';
import type { ScrubContext } from './scrub.js';
import { eventsOf, serverSentEvents, UpstreamClient, type UpstreamResponse } from './upstream-client.js';

/** Finds the API key of a model: an environment variable locally, a Secret in a cluster. */
export type ApiKeyResolver = (target: RouteTarget) => string | undefined;

export function envApiKeyResolver(env: Readonly<Record<string, string | undefined>>): ApiKeyResolver {
  return (target) => {
    const name = target.model.spec.endpoint?.apiKeyEnv;
    return name ? env[name] : undefined;
  };
}

export interface OpenAIBackendOptions {
  /** Largest non-streamed answer the router reads; past it the attempt fails as the upstream's error. */
  readonly maxResponseBytes: number;
  /** Longest silence between two events of a stream. */
  readonly streamIdleMs: number;
  /** Longest a whole stream may take. */
  readonly streamTimeoutMs: number;
}

export const DEFAULT_OPENAI_BACKEND_OPTIONS: OpenAIBackendOptions = {
  maxResponseBytes: 32 * 1024 * 1024,
  streamIdleMs: 30_000,
  streamTimeoutMs: 600_000,
};

/** Largest error answer read from an upstream (its message is all the router needs). */
const MAX_ERROR_BYTES = 64 * 1024;
/** Largest single server-sent event. */
const MAX_EVENT_BYTES = 8 * 1024 * 1024;

interface Upstream {
  readonly baseURL: string;
  readonly model: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly breaker: string;
  /** Who this upstream is to a caller (`upstream of model x`), and what its failures must not say. */
  readonly name: string;
  readonly scrub: ScrubContext;
}

export class OpenAIBackend implements InferenceBackend {
  readonly #resolveKey: ApiKeyResolver;
  readonly #breakers: CircuitBreakers;
  readonly #client = new UpstreamClient();
  readonly #o: OpenAIBackendOptions;

  constructor(
    resolveKey: ApiKeyResolver,
    breakers: CircuitBreakers,
    options: OpenAIBackendOptions = DEFAULT_OPENAI_BACKEND_OPTIONS,
  ) {
    this.#resolveKey = resolveKey;
    this.#breakers = breakers;
    this.#o = options;
  }

  /** Closes pooled upstream connections. */
  close(): void {
    this.#client.close();
  }

  /** A self-hosted version (protocol openai) is reached at its Service; otherwise the AIModel's endpoint. */
  #upstream(target: RouteTarget, ctx: CallContext): Upstream {
    const endpoint = target.model.spec.endpoint;
    const selfHosted = target.version?.status?.protocol === 'openai' ? target.version.endpoint : undefined;
    const baseURL = (selfHosted ?? endpoint?.baseURL)?.replace(/\/+$/, '');
    if (!baseURL) throw new BackendError('misconfigured', `Model ${target.model.name} has no endpoint`);
    const name = `upstream of model ${target.model.name}`;
    const breaker = `openai:${baseURL}`;
    if (!this.#breakers.allow(breaker)) {
      throw new BackendError('unavailable', `${name} is failing (circuit open)`, { circuitOpen: true });
    }
    const apiKey = this.#resolveKey(target);
    const scrub: ScrubContext = { secrets: [apiKey], places: [{ address: baseURL, name }] };
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-request-id': ctx.requestId,
      ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}),
    };
    return { baseURL, model: endpoint?.model ?? target.model.name, headers, breaker, name, scrub };
  }

  #settle(upstream: Upstream, failure?: BackendError): void {
    if (failure && policyOf(failure.kind).countsAgainstEndpoint) this.#breakers.failure(upstream.breaker);
    else this.#breakers.success(upstream.breaker);
  }

  async #post(u: Upstream, path: OpenAIPath, body: string, ctx: CallContext): Promise<UpstreamResponse> {
    const res = await this.#client.post({
      url: new URL(`${u.baseURL}${path}`),
      headers: u.headers,
      body,
      deadline: ctx.deadline,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.upstream ? { clock: ctx.upstream } : {}),
    });
    if (res.status >= 200 && res.status < 300) return res;
    throw await this.#failure(u, res, ctx);
  }

  /**
   * An upstream's error answer as a BackendError that keeps its status and what is safe of its error object
   * (an upstream may echo the key it was sent, or its own address: see ./scrub.ts).
   */
  async #failure(u: Upstream, res: UpstreamResponse, ctx: CallContext): Promise<BackendError> {
    let said: unknown;
    try {
      const bytes = await this.#client.readBody(res, {
        maxBytes: MAX_ERROR_BYTES,
        deadline: ctx.deadline,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      const parsed = JSON.parse(bytes.toString('utf8')) as { error?: unknown };
      said = typeof parsed?.error === 'string' ? { message: parsed.error } : parsed?.error;
    } catch {
      // Not JSON, too long or cut off: the status says enough.
    }
    return upstreamFailure(res, said, u);
  }

  /** One non-streamed call; the breaker settles on its outcome. */
  async #call<T>(target: RouteTarget, ctx: CallContext, fn: (u: Upstream) => Promise<T>): Promise<T> {
    const u = this.#upstream(target, ctx);
    try {
      const value = await fn(u);
      this.#settle(u);
      return value;
    } catch (err) {
      const failure = scrubbed(err, u);
      this.#settle(u, failure);
      throw failure;
    }
  }

  async #answer(u: Upstream, path: OpenAIPath, body: string, ctx: CallContext): Promise<ForwardedAnswer> {
    const res = await this.#post(u, path, body, ctx);
    const bytes = await this.#client.readBody(res, {
      maxBytes: this.#o.maxResponseBytes,
      deadline: ctx.deadline,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      ...(ctx.upstream ? { clock: ctx.upstream } : {}),
    });
    const usage = usageOf(bytes);
    return {
      body: bytes,
      contentType: String(res.headers['content-type'] ?? 'application/json'),
      inputTokens: usage.input,
      outputTokens: usage.output,
    };
  }

  forward(target: RouteTarget, request: ForwardRequest, ctx: CallContext): Promise<ForwardedAnswer> {
    return this.#call(target, ctx, (u) =>
      this.#answer(u, request.path, JSON.stringify({ ...request.body, model: u.model }), ctx),
    );
  }

  /**
   * The upstream's events, unchanged. Chat and text completions are asked for their usage
   * (`stream_options.include_usage`) so the router can meter them; when the client did not ask for it, the
   * usage-only chunk that this adds is read and not relayed.
   */
  async *forwardStream(
    target: RouteTarget,
    request: ForwardRequest,
    ctx: CallContext,
  ): AsyncIterable<StreamEvent> {
    const u = this.#upstream(target, ctx);
    const options = request.body.stream_options as { include_usage?: unknown } | null | undefined;
    const clientAsked = options?.include_usage === true;
    const addsUsage = request.path !== '/responses' && !clientAsked;
    const body = addsUsage
      ? { ...request.body, model: u.model, stream_options: { ...(options ?? {}), include_usage: true } }
      : { ...request.body, model: u.model };
    let settled = false;
    const usage = { input: 0, output: 0 };
    let finish = 'stop';
    try {
      const res = await this.#post(u, request.path, JSON.stringify(body), ctx);
      for await (const block of this.#events(res, ctx)) {
        // Most blocks carry no usage (or `"usage": null`): relayed as they came, in one piece.
        const relayed = USAGE_OBJECT.test(block) ? this.#meter(block, usage, addsUsage) : block;
        const reason = block.includes('"finish_reason"') ? finishOf(block) : undefined;
        if (reason) finish = reason;
        if (relayed.length > 0) yield { type: 'frame', frame: relayed };
      }
      settled = true;
      this.#settle(u);
    } catch (err) {
      const failure = scrubbed(err, u);
      settled = true;
      this.#settle(u, failure);
      throw failure;
    } finally {
      // Abandoned by its consumer (the client left): the endpoint answered, so its probe, if any, is over.
      if (!settled) this.#settle(u);
    }
    yield { type: 'done', finishReason: finish, inputTokens: usage.input, outputTokens: usage.output };
  }

  /**
   * Reads the usage of the events of a block that reports one, and leaves out the usage-only chunk the
   * router asked for on the client's behalf (`drop`); the other events stay as they came.
   */
  #meter(block: string, usage: { input: number; output: number }, drop: boolean): string {
    let kept = '';
    for (const event of eventsOf(block)) {
      const data = dataOf(event);
      const found = data === undefined ? undefined : usageOfText(data);
      if (found) {
        usage.input = found.input;
        usage.output = found.output;
        if (drop && found.usageOnly) continue;
      }
      kept += `${event}\n\n`;
    }
    return kept;
  }

  #events(res: UpstreamResponse, ctx: CallContext): AsyncIterable<string> {
    if (!/^text\/event-stream/i.test(String(res.headers['content-type'] ?? ''))) {
      res.message.resume();
      throw new BackendError(
        'upstream_error',
        'The upstream answered a stream request without an event stream',
      );
    }
    return serverSentEvents(res.message, {
      idleMs: this.#o.streamIdleMs,
      firstEventBy: ctx.deadline,
      deadline: Date.now() + this.#o.streamTimeoutMs,
      maxEventBytes: MAX_EVENT_BYTES,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
  }

  /** The REST API's generation as an OpenAI body: its parameters by OpenAI's names, the others as sent. */
  #generationRequest(input: GenerationInput, params: GenerateParams): ForwardRequest {
    const sampling = {
      ...params.extra,
      ...(params.maxTokens === undefined ? {} : { max_tokens: params.maxTokens }),
      ...(params.temperature === undefined ? {} : { temperature: params.temperature }),
      ...(params.topP === undefined ? {} : { top_p: params.topP }),
      ...(params.topK === undefined ? {} : { top_k: params.topK }),
      ...(params.seed === undefined ? {} : { seed: params.seed }),
      ...(params.stop === undefined ? {} : { stop: [...params.stop] }),
    };
    if (input.kind === 'completion')
      return { path: '/completions', body: { prompt: input.prompt, ...sampling } };
    const messages = input.messages.map((m: ChatMessage) => ({ role: m.role, content: m.content }));
    return { path: '/chat/completions', body: { messages, ...sampling } };
  }

  async generate(
    target: RouteTarget,
    input: GenerationInput,
    params: GenerateParams,
    ctx: CallContext,
  ): Promise<GenerateOutput> {
    const answer = await this.forward(target, this.#generationRequest(input, params), ctx);
    let parsed: {
      choices?: { text?: string; message?: { content?: string | null }; finish_reason?: string }[];
    };
    try {
      parsed = JSON.parse(answer.body.toString('utf8'));
    } catch {
      throw new BackendError('upstream_error', 'The upstream answered with a body that is not JSON');
    }
    const choice = parsed.choices?.[0];
    return {
      text: choice?.message?.content ?? choice?.text ?? '',
      finishReason: choice?.finish_reason ?? 'stop',
      inputTokens: answer.inputTokens,
      outputTokens: answer.outputTokens,
    };
  }

  async *stream(
    target: RouteTarget,
    input: GenerationInput,
    params: GenerateParams,
    ctx: CallContext,
  ): AsyncIterable<StreamEvent> {
    const request = this.#generationRequest(input, params);
    for await (const event of this.forwardStream(
      target,
      { ...request, body: { ...request.body, stream: true } },
      ctx,
    )) {
      if (event.type !== 'frame') {
        yield event;
        continue;
      }
      for (const one of eventsOf(event.frame)) {
        const text = textOf(one);
        if (text) yield { type: 'text', text };
      }
    }
  }

  async embed(
    target: RouteTarget,
    texts: readonly string[],
    options: EmbedOptions,
    ctx: CallContext,
  ): Promise<EmbedOutput> {
    // OpenAI's embeddings API refuses a text longer than the model's window; it cannot truncate one.
    if (options.truncate === true) {
      throw new BackendError(
        'unsupported',
        `Model ${target.model.name} is served by an OpenAI-compatible API, which does not truncate texts`,
        { param: 'parameters.truncate' },
      );
    }
    // float: not every OpenAI-compatible server (Ollama, TGI) speaks base64.
    const answer = await this.forward(
      target,
      { path: '/embeddings', body: { input: [...texts], encoding_format: 'float' } },
      ctx,
    );
    let data: { index: number; embedding: number[] }[];
    try {
      data = (JSON.parse(answer.body.toString('utf8')) as { data: typeof data }).data;
      if (!Array.isArray(data)) throw new TypeError('no data');
    } catch {
      throw new BackendError('upstream_error', 'The upstream answered embeddings without a data list');
    }
    const ordered = [...data].sort((a, b) => a.index - b.index);
    return { embeddings: ordered.map((d) => d.embedding), inputTokens: answer.inputTokens };
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

/** A usage object (not `"usage": null`) somewhere in a block of events. */
const USAGE_OBJECT = /"usage"\s*:\s*\{/;
