/**
 * The OpenAI wire format of answers the router renders itself (those of runtime models; an
 * OpenAI-compatible upstream's answers are passed through as they are): chat completions and their stream
 * chunks, text completions, embeddings (float or base64).
 * @module
 */
import type {
  GeneratedChoice,
  GeneratedTokenLogprob,
  StreamEvent,
  TokenLogprob,
} from '../backends/backend.js';
import type { GenerationResult } from './operations.js';
import type { Served } from './served.js';

const created = () => Math.floor(Date.now() / 1000);
const usage = (input: number, output: number) => ({
  prompt_tokens: input,
  completion_tokens: output,
  total_tokens: input + output,
});

/** Who answered: the id stem and the model name the body carries. */
export interface Answering {
  readonly requestId: string;
  readonly model: string;
}

/** Every choice of a result: the backend's, else the one its text is. */
const choicesOf = (r: GenerationResult): readonly GeneratedChoice[] =>
  r.choices ?? [{ text: r.text, finishReason: r.finishReason }];

const bytes = (token: string) => [...Buffer.from(token, 'utf8')];

/** A token in chat's logprobs shape: text, log-probability, UTF-8 bytes. */
const chatToken = (t: TokenLogprob) => ({ token: t.token, logprob: t.logprob, bytes: bytes(t.token) });

/** Chat's `logprobs`: `{content: [{token, logprob, bytes, top_logprobs}], refusal: null}`. */
export function chatLogprobs(tokens: readonly GeneratedTokenLogprob[] | undefined) {
  if (!tokens) return null;
  return {
    content: tokens.map((t) => ({ ...chatToken(t), top_logprobs: t.top.map(chatToken) })),
    refusal: null,
  };
}

/**
 * Completions' `logprobs`: `{tokens, token_logprobs, top_logprobs, text_offset}`, each token's offset counted
 * in characters of the choice's text from `offset` (the length of an echoed prompt).
 */
export function completionLogprobs(tokens: readonly GeneratedTokenLogprob[] | undefined, offset = 0) {
  if (!tokens) return null;
  let at = offset;
  const text_offset = tokens.map((t) => {
    const here = at;
    at += t.token.length;
    return here;
  });
  return {
    tokens: tokens.map((t) => t.token),
    token_logprobs: tokens.map((t) => t.logprob),
    top_logprobs: tokens.map((t) => Object.fromEntries(t.top.map((a) => [a.token, a.logprob]))),
    text_offset,
  };
}

export function chatCompletion(a: Answering, r: GenerationResult) {
  return {
    id: `chatcmpl-${a.requestId}`,
    object: 'chat.completion' as const,
    created: created(),
    model: a.model,
    choices: choicesOf(r).map((c, index) => ({
      index,
      message: { role: 'assistant' as const, content: c.text },
      finish_reason: c.finishReason,
      logprobs: chatLogprobs(c.logprobs),
    })),
    usage: usage(r.inputTokens, r.outputTokens),
  };
}

/** A served chat generation (batch items answer in this shape). */
export function chatCompletionBody(s: Served<GenerationResult>) {
  return chatCompletion({ requestId: s.requestId, model: s.modelId }, s.value);
}

/** A text completion; with `echo`, each choice's text starts with the prompt. */
export function textCompletion(a: Answering, r: GenerationResult, echo = '') {
  return {
    id: `cmpl-${a.requestId}`,
    object: 'text_completion' as const,
    created: created(),
    model: a.model,
    choices: choicesOf(r).map((c, index) => ({
      index,
      text: echo + c.text,
      finish_reason: c.finishReason,
      logprobs: completionLogprobs(c.logprobs, echo.length),
    })),
    usage: usage(r.inputTokens, r.outputTokens),
  };
}

/** Float32 little-endian, base64: what OpenAI sends (and its SDK asks for by default). */
function base64(vector: readonly number[]): string {
  return Buffer.from(Float32Array.from(vector).buffer).toString('base64');
}

export function embeddingList(
  a: Answering,
  embeddings: readonly (readonly number[])[],
  inputTokens: number,
  asBase64: boolean,
) {
  return {
    object: 'list' as const,
    data: embeddings.map((e, index) => ({
      object: 'embedding' as const,
      index,
      embedding: asBase64 ? base64(e) : [...e],
    })),
    model: a.model,
    usage: { prompt_tokens: inputTokens, total_tokens: inputTokens },
  };
}

const frame = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

/** How a stream is rendered: chat or completion chunks, how many choices, an echoed prompt, usage or not. */
export interface ChunkOptions {
  readonly kind: 'chat' | 'completion';
  readonly includeUsage: boolean;
  /** Choices the request asked for (`n`): each gets its role chunk (chat) and its final chunk. */
  readonly choices: number;
  /** Completions with `echo`: sent as each choice's first text. */
  readonly echo?: string;
}

/** Renders the chunks of one stream: each choice's deltas, keeping completions' text offsets per choice. */
class ChunkRenderer {
  private readonly base: Record<string, unknown>;
  readonly indices: number[];
  /** Completions' text_offset runs over each choice's whole text, echoed prompt included. */
  private readonly offsets: number[];

  constructor(
    a: Answering,
    private readonly options: ChunkOptions,
  ) {
    const chat = options.kind === 'chat';
    this.base = {
      id: `${chat ? 'chatcmpl' : 'cmpl'}-${a.requestId}`,
      object: chat ? 'chat.completion.chunk' : 'text_completion',
      created: created(),
      model: a.model,
    };
    this.indices = Array.from({ length: options.choices }, (_, i) => i);
    this.offsets = this.indices.map(() => options.echo?.length ?? 0);
  }

  frame(choices: unknown[], extra: Record<string, unknown> = {}): StreamEvent {
    return { type: 'frame', frame: frame({ ...this.base, choices, ...extra }) };
  }

  /** Each choice's role chunk (chat) or echoed prompt (completions with echo). */
  opening(): StreamEvent[] {
    if (this.options.kind === 'chat') {
      return this.indices.map((index) =>
        this.frame([
          { index, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null },
        ]),
      );
    }
    const echo = this.options.echo;
    if (!echo) return [];
    return this.indices.map((index) =>
      this.frame([{ index, text: echo, finish_reason: null, logprobs: null }]),
    );
  }

  /** A delta of one choice (text undefined: its final chunk, with `finish`). */
  choice(
    index: number,
    text: string | undefined,
    finish: string | null,
    tokens?: readonly GeneratedTokenLogprob[],
  ): StreamEvent {
    if (this.options.kind === 'chat') {
      const delta = text === undefined ? {} : { content: text };
      return this.frame([{ index, delta, finish_reason: finish, logprobs: chatLogprobs(tokens) }]);
    }
    const logprobs = completionLogprobs(tokens, this.offsets[index]);
    this.offsets[index] = (this.offsets[index] ?? 0) + (text?.length ?? 0);
    return this.frame([{ index, text: text ?? '', finish_reason: finish, logprobs }]);
  }
}

/**
 * A runtime's streamed generation as OpenAI chunks, each one server-sent event: a first chunk per choice
 * with the role (chat) or the echoed prompt (completions with echo), content deltas of each choice (with
 * their tokens' logprobs when asked for), a final chunk per choice with its finish reason, the usage chunk
 * when the client asked (stream_options.include_usage), [DONE]; then the `done` event for the router's
 * metering.
 */
export async function* openAIChunks(
  a: Answering,
  options: ChunkOptions,
  events: AsyncIterable<StreamEvent>,
): AsyncIterable<StreamEvent> {
  const render = new ChunkRenderer(a, options);
  let first = true;
  for await (const event of events) {
    if (first) {
      first = false;
      yield* render.opening();
    }
    if (event.type === 'text') {
      yield render.choice(event.choice ?? 0, event.text, null, event.logprobs);
    } else if (event.type === 'done') {
      for (const index of render.indices) {
        yield render.choice(index, undefined, event.finishReasons?.[index] ?? event.finishReason);
      }
      if (options.includeUsage)
        yield render.frame([], { usage: usage(event.inputTokens, event.outputTokens) });
      yield { type: 'frame', frame: 'data: [DONE]\n\n' };
      yield event;
    }
  }
}
