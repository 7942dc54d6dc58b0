/**
 * What a request will use, guessed before it runs, so a token or spend budget can be reserved: the prompt's
 * tokens from the text a model would read (about four characters a token, rounded up; token-id prompts are
 * counted exactly) plus the most output it asked for (max_tokens and its aliases, times the choices), or the
 * model's spec.parameters.maxTokens, or DEFAULT_OUTPUT_TOKENS. The reservation is settled from the real usage
 * afterwards, so the guess only has to be the right size. Pure.
 * @module
 */
import type { ChatMessage, GenerateParams, GenerationInput } from '../backends/backend.js';
import type { CatalogModel } from '../catalog/catalog.js';
import type { Operation } from './operations.js';

/** Output reserved for a generation that names no maximum on a model that declares none. */
export const DEFAULT_OUTPUT_TOKENS = 256;

export interface UsageEstimate {
  readonly inputTokens: number;
  readonly outputTokens: number;
}

const NONE: UsageEstimate = { inputTokens: 0, outputTokens: 0 };

export const textTokens = (chars: number): number => Math.ceil(chars / 4);

const positive = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.floor(value) : undefined;

/** The output a generation may produce: what it asked for, else the model's declared maximum, else the default. */
export function outputAllowance(requested: unknown, model: CatalogModel, choices: unknown = 1): number {
  const each = positive(requested) ?? positive(model.spec.parameters?.maxTokens) ?? DEFAULT_OUTPUT_TOKENS;
  return each * (positive(choices) ?? 1);
}

/** Dispatches on the operation's fields (see operations.ts and openai-operation.ts for their shapes). */
export function estimateUsage(
  op: Pick<Operation<unknown>, 'name' | 'fields'>,
  model: CatalogModel,
): UsageEstimate {
  const fields = op.fields as Record<string, unknown>;
  if (op.name === 'tokens') return NONE; // tokenizing is neither metered nor priced
  if (typeof fields.endpoint === 'string')
    return openAIEstimate(fields.endpoint, (fields.body ?? {}) as Record<string, unknown>, model);
  if (Array.isArray(fields.texts)) return textsEstimate(fields.texts as readonly string[]);
  if (fields.input && fields.params)
    return generationEstimate(fields.input as GenerationInput, fields.params as GenerateParams, model);
  return NONE;
}

/** classify and embed on the REST API: only the texts are read; nothing is generated. */
export function textsEstimate(texts: readonly string[]): UsageEstimate {
  return { inputTokens: texts.reduce((n, t) => n + textTokens(t.length), 0), outputTokens: 0 };
}

/** A REST (or batch) generation: the chat's or prompt's text, and params.maxTokens. */
export function generationEstimate(
  input: GenerationInput,
  params: GenerateParams,
  model: CatalogModel,
): UsageEstimate {
  const chars =
    input.kind === 'chat' ? input.messages.reduce((n, m) => n + messageChars(m), 0) : input.prompt.length;
  return { inputTokens: textTokens(chars), outputTokens: outputAllowance(params.maxTokens, model, params.n) };
}

function messageChars(m: ChatMessage): number {
  let n = m.content.length;
  for (const call of m.toolCalls ?? []) n += call.function.name.length + call.function.arguments.length;
  return n;
}

/** The body of /v1/chat/completions, /v1/completions, /v1/embeddings or /v1/responses. */
export function openAIEstimate(
  endpoint: string,
  body: Record<string, unknown>,
  model: CatalogModel,
): UsageEstimate {
  if (endpoint === 'embeddings') return { inputTokens: promptTokens(body.input).tokens, outputTokens: 0 };
  const requested = body.max_tokens ?? body.max_completion_tokens ?? body.max_output_tokens;
  if (endpoint === 'completions') {
    const prompt = promptTokens(body.prompt);
    // Each prompt of a list gets its own n choices.
    return {
      inputTokens: prompt.tokens,
      outputTokens: outputAllowance(requested, model, body.n) * prompt.count,
    };
  }
  let chars = textChars(body.instructions) + jsonChars(body.tools);
  if (Array.isArray(body.messages)) for (const m of body.messages) chars += itemChars(m);
  if (body.input !== undefined)
    chars += Array.isArray(body.input)
      ? body.input.reduce((n: number, i) => n + itemChars(i), 0)
      : textChars(body.input);
  return { inputTokens: textTokens(chars), outputTokens: outputAllowance(requested, model, body.n) };
}

/** A prompt or embeddings input: a string, strings, token ids, or lists of token ids (counted exactly). */
function promptTokens(value: unknown): { tokens: number; count: number } {
  if (typeof value === 'string') return { tokens: textTokens(value.length), count: 1 };
  if (!Array.isArray(value) || value.length === 0) return { tokens: 0, count: 1 };
  if (value.every((v) => typeof v === 'number')) return { tokens: value.length, count: 1 };
  let tokens = 0;
  for (const v of value)
    tokens += typeof v === 'string' ? textTokens(v.length) : Array.isArray(v) ? v.length : 0;
  return { tokens, count: value.length };
}

/** A chat message or a Responses input item: its content (text or parts) and the tool calls it carries. */
function itemChars(item: unknown): number {
  if (typeof item === 'string') return item.length;
  if (!item || typeof item !== 'object') return 0;
  const m = item as Record<string, unknown>;
  return textChars(m.content) + textChars(m.arguments) + textChars(m.output) + jsonChars(m.tool_calls);
}

/**
 * The text of a content value: a string, or the text of its parts. Other parts (images, audio) are not text
 * and are not guessed at: their base64 would count as megabytes of prompt.
 */
function textChars(value: unknown): number {
  if (typeof value === 'string') return value.length;
  if (!Array.isArray(value)) return 0;
  let n = 0;
  for (const part of value) {
    if (typeof part === 'string') n += part.length;
    else if (part && typeof part === 'object' && typeof part.text === 'string') n += part.text.length;
  }
  return n;
}

/** Structured text a model reads as it is written (tool definitions, tool calls). */
const jsonChars = (value: unknown): number =>
  value === undefined || value === null ? 0 : JSON.stringify(value).length;
