/**
 * The seam between routing and whatever serves a model: our runtimes over gRPC, or an OpenAI-compatible
 * endpoint. Every backend speaks these operations and fails with a BackendError whose `kind` tells the
 * router whether trying again, or the next target of the fallback chain, may succeed where this one failed.
 * @module
 */
import type { CatalogModel, CatalogVersion } from '../catalog/catalog.js';
import type { ScrubbedUpstreamError } from './scrub.js';

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
  /** Where a backend that can see its transport records the time spent on the wire (see UpstreamClock). */
  readonly upstream?: UpstreamClock;
}

/**
 * Time one attempt spent waiting on the upstream itself: from the request handed to the socket to the
 * answer read off it. A backend that measures this sets `measured`; otherwise the whole call counts.
 */
export interface UpstreamClock {
  ms: number;
  measured: boolean;
}

export interface ChatMessage {
  readonly role: 'system' | 'user' | 'assistant' | 'tool' | 'developer';
  readonly content: string;
  /** Assistant messages: the tool calls the assistant made, as OpenAI shapes them. */
  readonly toolCalls?: readonly ChatToolCall[];
  /** Tool messages: the id of the call this result answers. */
  readonly toolCallId?: string;
}

/** A tool call of an assistant message; `arguments` is the JSON text the model wrote. */
export interface ChatToolCall {
  readonly id: string;
  readonly type: 'function';
  readonly function: { readonly name: string; readonly arguments: string };
}

/**
 * What to generate from: a chat (most models today), or a bare prompt for the legacy completions API.
 * /api/inference/text sends its input as a one-message chat. Runtimes render chats themselves: with the
 * model's chat template, or (without one) a single user message as the bare prompt.
 */
export type GenerationInput =
  | { readonly kind: 'chat'; readonly messages: readonly ChatMessage[] }
  | { readonly kind: 'completion'; readonly prompt: string };

export interface GenerateParams {
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly seed?: number;
  readonly stop?: readonly string[];
  /** Choices to generate (1..8). */
  readonly n?: number;
  /** Return each generated token's log-probability, with `topLogprobs` (0..20) most likely alternatives. */
  readonly logprobs?: boolean;
  readonly topLogprobs?: number;
  /** Token id (as a string) -> bias from -100 to 100 added to its logit. */
  readonly logitBias?: Readonly<Record<string, number>>;
  /** -2..2, OpenAI's formulas over the generated tokens. */
  readonly presencePenalty?: number;
  readonly frequencyPenalty?: number;
  /** > 0 (1 is off), transformers' formula over prompt and generated tokens; an extension. */
  readonly repetitionPenalty?: number;
  /**
   * Parameters the router does not use itself (the REST API's other `parameters`): passed as they are to
   * OpenAI-compatible upstreams, refused by runtimes (which cannot honour what they do not know).
   */
  readonly extra?: Readonly<Record<string, unknown>>;
}

/** A token's text and log-probability (of the model's raw distribution). */
export interface TokenLogprob {
  readonly token: string;
  readonly logprob: number;
}

/** A generated token, with the most likely alternatives at its step when they were asked for. */
export interface GeneratedTokenLogprob extends TokenLogprob {
  readonly top: readonly TokenLogprob[];
}

/** One choice of a generation; `logprobs` when they were asked for. */
export interface GeneratedChoice {
  readonly text: string;
  readonly finishReason: string;
  readonly logprobs?: readonly GeneratedTokenLogprob[];
}

export interface GenerateOutput {
  /** Choice 0's. */
  readonly text: string;
  readonly finishReason: string;
  /** Every choice, when the backend reports them (runtimes do); absent means the one above. */
  readonly choices?: readonly GeneratedChoice[];
  readonly inputTokens: number;
  /** Over every choice. */
  readonly outputTokens: number;
  /**
   * True when the backend reports that it sampled, by the request's parameters or by the model's own defaults
   * (a runtime model whose generation_config.json says do_sample): not cached unless the caller forces it.
   */
  readonly sampled?: boolean;
}

/**
 * One event of a streamed generation: text as it comes (or, passed through from an OpenAI-compatible
 * upstream, whole server-sent events as they were sent), then one `done` with the totals.
 */
export type StreamEvent =
  | {
      readonly type: 'text';
      readonly text: string;
      /** Which choice the text belongs to; absent means 0. */
      readonly choice?: number;
      /** The log-probabilities of the tokens this text came from, when they were asked for. */
      readonly logprobs?: readonly GeneratedTokenLogprob[];
    }
  /**
   * Server-sent events as they are written: one or more whole events (`data: {...}`, with any `event:`
   * line), each ending with its blank line; passed through byte for byte, one network read at a time.
   */
  | { readonly type: 'frame'; readonly frame: string }
  | {
      readonly type: 'done';
      /** Choice 0's; every choice's in `finishReasons` when there are several. */
      readonly finishReason: string;
      readonly finishReasons?: readonly string[];
      readonly inputTokens: number;
      readonly outputTokens: number;
      /** As GenerateOutput's. */
      readonly sampled?: boolean;
    };

export interface Classification {
  readonly label: string;
  readonly score: number;
  readonly scores: Readonly<Record<string, number>>;
}

export interface ClassifyOutput {
  readonly results: readonly Classification[];
  readonly inputTokens: number;
}

/** How a classification runs: labels ranked, and what happens to texts longer than the model's window. */
export interface ClassifyOptions {
  readonly topK?: number;
  /** true: truncated to the window; false: refused; absent: the backend's default (runtimes truncate). */
  readonly truncate?: boolean;
}

/** How an embedding runs: normalised or not (absent: the model's default), and truncation as for classify. */
export interface EmbedOptions {
  readonly normalize?: boolean;
  readonly truncate?: boolean;
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
    input: GenerationInput,
    params: GenerateParams,
    ctx: CallContext,
  ): Promise<GenerateOutput>;
  /**
   * Streams a generation. The first event arriving means the target committed: the router never moves to
   * another target after it. Errors before it are BackendErrors like any call's.
   */
  stream(
    target: RouteTarget,
    input: GenerationInput,
    params: GenerateParams,
    ctx: CallContext,
  ): AsyncIterable<StreamEvent>;
  classify(
    target: RouteTarget,
    texts: readonly string[],
    options: ClassifyOptions,
    ctx: CallContext,
  ): Promise<ClassifyOutput>;
  embed(
    target: RouteTarget,
    texts: readonly string[],
    options: EmbedOptions,
    ctx: CallContext,
  ): Promise<EmbedOutput>;
  tokenize(target: RouteTarget, text: string, ctx: CallContext): Promise<TokenizeOutput>;
  /**
   * Passes a client's OpenAI request through, as sent but for `model`; only OpenAI-compatible backends
   * can (a runtime's answer to an OpenAI request is rendered by the router, see inference/openai-runtime.ts).
   */
  forward?(target: RouteTarget, request: ForwardRequest, ctx: CallContext): Promise<ForwardedAnswer>;
  /** The same, streamed: the upstream's events as `frame`s, then `done` with the usage it reported. */
  forwardStream?(target: RouteTarget, request: ForwardRequest, ctx: CallContext): AsyncIterable<StreamEvent>;
}

/** An OpenAI API path below the base URL. */
export type OpenAIPath = '/chat/completions' | '/completions' | '/embeddings' | '/responses';

export interface ForwardRequest {
  readonly path: OpenAIPath;
  /** The client's JSON body, parsed; the backend changes only `model` (and, for streams, asks for usage). */
  readonly body: Readonly<Record<string, unknown>>;
}

export interface ForwardedAnswer {
  /** The upstream's JSON answer, byte for byte. */
  readonly body: Buffer;
  readonly contentType: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

/**
 * - unavailable: could not reach it, or it is not serving (connection refused, UNAVAILABLE, circuit open)
 * - timeout: the deadline passed
 * - overloaded: it refused for load (429, RESOURCE_EXHAUSTED)
 * - upstream_error: it failed on its side (5xx, INTERNAL, a broken stream)
 * - misconfigured: it does not know the model, or refused our credentials (404, 401, 403)
 * - rejected: the request itself is invalid for it (400, INVALID_ARGUMENT); another target would refuse too
 * - unsupported: this target cannot honour a parameter of the request (tools on a runtime); another may
 * - cancelled: the caller went away
 * What each means for retries, fallbacks, circuits and clients: routing/failure-policy.ts.
 */
export type FailureKind =
  | 'unavailable'
  | 'timeout'
  | 'overloaded'
  | 'upstream_error'
  | 'misconfigured'
  | 'rejected'
  | 'unsupported'
  | 'cancelled';

/** An upstream's own error answer, kept so a client of a passthrough gets what the upstream said. */
export interface UpstreamErrorAnswer {
  readonly status: number;
  /**
   * What is safe of OpenAI's `error` object the upstream sent, when it sent one: its message scrubbed, its
   * type, param and code when they are short identifiers (./scrub.ts); nothing else it carried.
   */
  readonly error?: Readonly<ScrubbedUpstreamError>;
}

export class BackendError extends Error {
  readonly kind: FailureKind;
  /** Set when the backend said how long to wait (Retry-After). */
  readonly retryAfterMs?: number;
  /** Set when no request was sent because the target's circuit breaker is open. */
  readonly circuitOpen: boolean;
  /** The request parameter at fault (`rejected`, `unsupported`), as OpenAI's `param` names it. */
  readonly param?: string;
  readonly upstream?: UpstreamErrorAnswer;

  constructor(
    kind: FailureKind,
    message: string,
    options?: {
      cause?: unknown;
      retryAfterMs?: number;
      circuitOpen?: boolean;
      param?: string;
      upstream?: UpstreamErrorAnswer;
    },
  ) {
    super(message, { cause: options?.cause });
    this.name = 'BackendError';
    this.kind = kind;
    this.retryAfterMs = options?.retryAfterMs;
    this.circuitOpen = options?.circuitOpen ?? false;
    if (options?.param !== undefined) this.param = options.param;
    if (options?.upstream !== undefined) this.upstream = options.upstream;
  }
}
