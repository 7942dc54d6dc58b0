/**
 * The OpenAI wire format for our served results: chat completions (and their stream chunks), text
 * completions, embeddings (float or base64).
 * @module
 */
import type { ChatMessage, GenerateParams, StreamEvent } from '../backends/backend.js';
import { ValidationError } from '../errors.js';
import type { ChatCompletionRequest, CompletionRequest } from '../schemas/openai.js';
import type { EmbedResult, GenerationResult } from './operations.js';
import type { Served, StreamServed } from './served.js';

const created = () => Math.floor(Date.now() / 1000);
const usage = (input: number, output: number) => ({
  prompt_tokens: input,
  completion_tokens: output,
  total_tokens: input + output,
});

export function messagesOf(req: ChatCompletionRequest): ChatMessage[] {
  return req.messages.map((m) => ({
    role: m.role,
    content: typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join(''),
  }));
}

export function paramsOf(req: ChatCompletionRequest | CompletionRequest): GenerateParams {
  const stop = req.stop === undefined ? undefined : typeof req.stop === 'string' ? [req.stop] : req.stop;
  // Newer clients send max_completion_tokens (chat); older ones max_tokens.
  const maxTokens = (req as { max_completion_tokens?: number }).max_completion_tokens ?? req.max_tokens;
  return { maxTokens, temperature: req.temperature, topP: req.top_p, seed: req.seed, stop };
}

export function promptOf(req: CompletionRequest): string {
  const prompt = typeof req.prompt === 'string' ? req.prompt : req.prompt[0];
  if (prompt === undefined)
    throw new ValidationError('prompt must not be empty', {
      problems: [{ path: 'body.prompt', message: 'required' }],
    });
  return prompt;
}

export function chatCompletionBody(s: Served<GenerationResult>) {
  return {
    id: `chatcmpl-${s.requestId}`,
    object: 'chat.completion' as const,
    created: created(),
    model: s.modelId,
    choices: [
      {
        index: 0,
        message: { role: 'assistant' as const, content: s.value.text },
        finish_reason: s.value.finishReason,
        logprobs: null,
      },
    ],
    usage: usage(s.usage.input, s.usage.output),
  };
}

export function textCompletionBody(s: Served<GenerationResult>) {
  return {
    id: `cmpl-${s.requestId}`,
    object: 'text_completion' as const,
    created: created(),
    model: s.modelId,
    choices: [{ index: 0, text: s.value.text, finish_reason: s.value.finishReason, logprobs: null }],
    usage: usage(s.usage.input, s.usage.output),
  };
}

/** Float32 little-endian, base64: what OpenAI sends (and its SDK asks for by default). */
function base64(vector: readonly number[]): string {
  return Buffer.from(Float32Array.from(vector).buffer).toString('base64');
}

export function embeddingListBody(s: Served<EmbedResult>, format: 'float' | 'base64' | undefined) {
  return {
    object: 'list' as const,
    data: s.value.embeddings.map((e, index) => ({
      object: 'embedding' as const,
      index,
      embedding: format === 'base64' ? base64(e) : [...e],
    })),
    model: s.modelId,
    usage: { prompt_tokens: s.usage.input, total_tokens: s.usage.input },
  };
}

const frame = (data: unknown) => `data: ${JSON.stringify(data)}\n\n`;

/**
 * Chat or completion chunks as server-sent events: a first chunk with the role, content deltas, a final
 * chunk with the finish reason, the usage chunk when asked for (stream_options.include_usage), [DONE].
 */
export async function* openAIEvents(
  s: StreamServed,
  kind: 'chat' | 'completion',
  includeUsage: boolean,
  onError: (err: unknown) => object,
): AsyncIterable<string> {
  const id = `${kind === 'chat' ? 'chatcmpl' : 'cmpl'}-${s.requestId}`;
  const base = {
    id,
    object: kind === 'chat' ? 'chat.completion.chunk' : 'text_completion',
    created: created(),
    model: s.modelId,
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
  try {
    if (kind === 'chat')
      yield frame({
        ...base,
        choices: [
          { index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null, logprobs: null },
        ],
      });
    for await (const event of s.events as AsyncIterable<StreamEvent>) {
      if (event.type === 'text') {
        yield frame({ ...base, choices: [choice(event.text, null)] });
        continue;
      }
      yield frame({ ...base, choices: [choice(undefined, event.finishReason)] });
      if (includeUsage)
        yield frame({ ...base, choices: [], usage: usage(event.inputTokens, event.outputTokens) });
    }
  } catch (err) {
    // Headers are gone: a failure mid-stream can only be told in the stream itself.
    yield frame(onError(err));
  }
  yield 'data: [DONE]\n\n';
}
