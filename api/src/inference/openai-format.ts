/**
 * The OpenAI wire format of answers the router renders itself (those of runtime models; an
 * OpenAI-compatible upstream's answers are passed through as they are): chat completions and their stream
 * chunks, text completions, embeddings (float or base64).
 * @module
 */
import type { StreamEvent } from '../backends/backend.js';
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

export function chatCompletion(a: Answering, r: GenerationResult) {
  return {
    id: `chatcmpl-${a.requestId}`,
    object: 'chat.completion' as const,
    created: created(),
    model: a.model,
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content: r.text },
        finish_reason: r.finishReason,
        logprobs: null,
      },
    ],
    usage: usage(r.inputTokens, r.outputTokens),
  };
}

/** A served chat generation (batch items answer in this shape). */
export function chatCompletionBody(s: Served<GenerationResult>) {
  return chatCompletion({ requestId: s.requestId, model: s.modelId }, s.value);
}

export function textCompletion(a: Answering, r: GenerationResult) {
  return {
    id: `cmpl-${a.requestId}`,
    object: 'text_completion' as const,
    created: created(),
    model: a.model,
    choices: [{ index: 0, text: r.text, finish_reason: r.finishReason, logprobs: null }],
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

/**
 * A runtime's streamed generation as OpenAI chunks, each one server-sent event: a first chunk with the
 * role, content deltas, a final chunk with the finish reason, the usage chunk when the client asked
 * (stream_options.include_usage), [DONE]; then the `done` event for the router's metering.
 */
export async function* openAIChunks(
  a: Answering,
  kind: 'chat' | 'completion',
  includeUsage: boolean,
  events: AsyncIterable<StreamEvent>,
): AsyncIterable<StreamEvent> {
  const base = {
    id: `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${a.requestId}`,
    object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
    created: created(),
    model: a.model,
  };
  const choice = (text: string | undefined, finish: string | null) =>
    kind === 'chat'
      ? {
          index: 0,
          delta: text === undefined ? {} : { content: text },
          finish_reason: finish,
          logprobs: null,
        }
      : { index: 0, text: text ?? '', finish_reason: finish, logprobs: null };
  let first = kind === 'chat';
  for await (const event of events) {
    if (first) {
      first = false;
      const role = {
        index: 0,
        delta: { role: 'assistant', content: '' },
        finish_reason: null,
        logprobs: null,
      };
      yield { type: 'frame', frame: frame({ ...base, choices: [role] }) };
    }
    if (event.type === 'text') {
      yield { type: 'frame', frame: frame({ ...base, choices: [choice(event.text, null)] }) };
    } else if (event.type === 'done') {
      yield { type: 'frame', frame: frame({ ...base, choices: [choice(undefined, event.finishReason)] }) };
      if (includeUsage)
        yield {
          type: 'frame',
          frame: frame({ ...base, choices: [], usage: usage(event.inputTokens, event.outputTokens) }),
        };
      yield { type: 'frame', frame: 'data: [DONE]\n\n' };
      yield event;
    }
  }
}
