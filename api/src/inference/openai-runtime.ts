/**
 * OpenAI requests for models our runtimes serve: every parameter is honoured or refused, never ignored.
 * A parameter a runtime cannot honour (images, echo with logprobs, ...) is an `unsupported` failure
 * naming it (the fallback chain may find a target that can; otherwise the client gets 400 with `param`);
 * a value no target could accept (`max_tokens: 1.5`) is `rejected`. The table of every parameter is in
 * docs/openai-compatibility.md. Pure.
 * @module
 */
import { BackendError, type GenerateParams, type GenerationInput } from '../backends/backend.js';
import { absent, type Body, chatMessages, invalid, unsupported } from './openai-messages.js';

export type OpenAIEndpoint = 'chat' | 'completions' | 'embeddings' | 'responses';

/** Parameters that change nothing a runtime computes: identifiers and hints for OpenAI's own services. */
const NO_EFFECT = new Set(['model', 'user', 'metadata', 'safety_identifier', 'prompt_cache_key']);

function intParam(body: Body, name: string, min: number, max: number): number | undefined {
  const v = body[name];
  if (absent(v)) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max)
    throw invalid(name, `expected an integer from ${min} to ${max}`);
  return v;
}

function numberParam(
  body: Body,
  name: string,
  min: number,
  max: number,
  minExclusive = false,
): number | undefined {
  const v = body[name];
  if (absent(v)) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v > max || (minExclusive ? v <= min : v < min))
    throw invalid(
      name,
      `expected a number ${minExclusive ? 'above' : 'from'} ${min} ${minExclusive ? 'up to' : 'to'} ${max}`,
    );
  return v;
}

function stopParam(body: Body): string[] | undefined {
  const v = body.stop;
  if (absent(v)) return undefined;
  const list = typeof v === 'string' ? [v] : v;
  if (!Array.isArray(list) || list.length > 4 || list.some((s) => typeof s !== 'string' || s.length === 0))
    throw invalid('stop', 'expected a string or up to 4 non-empty strings');
  return list.length === 0 ? undefined : (list as string[]);
}

function streamParams(body: Body): void {
  if (!absent(body.stream) && typeof body.stream !== 'boolean') throw invalid('stream', 'expected a boolean');
  const o = body.stream_options;
  if (absent(o)) return;
  if (typeof o !== 'object' || Array.isArray(o)) throw invalid('stream_options', 'expected an object');
  for (const [name, value] of Object.entries(o as Body)) {
    if (name === 'include_usage') {
      if (!absent(value) && typeof value !== 'boolean')
        throw invalid('stream_options.include_usage', 'expected a boolean');
    } else if (!absent(value))
      throw unsupported(`stream_options.${name}`, 'Runtime models do not support this option');
  }
}

/** Sampling and length, shared by chat and text completions. */
function sampling(body: Body, maxTokensNames: readonly string[]): GenerateParams {
  const maxes = maxTokensNames.map((n) => intParam(body, n, 1, 1_000_000)).filter((v) => v !== undefined);
  const stop = stopParam(body);
  const temperature = numberParam(body, 'temperature', 0, 2);
  const topP = numberParam(body, 'top_p', 0, 1, true);
  const topK = intParam(body, 'top_k', 1, 1000);
  const seed = intParam(body, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);
  streamParams(body);
  return {
    ...(maxes.length > 0 ? { maxTokens: Math.min(...maxes) } : {}),
    ...(temperature === undefined ? {} : { temperature }),
    ...(topP === undefined ? {} : { topP }),
    ...(topK === undefined ? {} : { topK }),
    // Runtimes take a 32-bit seed; larger ones fold into that range, the same seed giving the same output.
    ...(seed === undefined ? {} : { seed: ((seed % 2 ** 31) + 2 ** 31) % 2 ** 31 }),
    ...(stop === undefined ? {} : { stop }),
  };
}

/** The parameters honoured only at their neutral value (anything else asks for what runtimes lack). */
function neutral(body: Body, name: string, isNeutral: (v: unknown) => boolean, why: string): void {
  const v = body[name];
  if (!absent(v) && !isNeutral(v)) throw unsupported(name, why);
}

const COMMON = new Set([
  ...NO_EFFECT,
  'max_tokens',
  'temperature',
  'top_p',
  'top_k',
  'seed',
  'stop',
  'stream',
  'stream_options',
  'n',
  'logprobs',
  'top_logprobs',
  'logit_bias',
  'frequency_penalty',
  'presence_penalty',
  'repetition_penalty',
  'store',
  'service_tier',
]);

function common(body: Body): void {
  neutral(body, 'store', (v) => v === false, 'Runtime models do not store completions');
  neutral(
    body,
    'service_tier',
    (v) => v === 'auto' || v === 'default',
    'Runtime models have one service tier',
  );
}

function unknownParams(body: Body, known: ReadonlySet<string>): void {
  for (const name of Object.keys(body)) {
    if (!known.has(name) && !absent(body[name]))
      throw unsupported(name, `Runtime models do not support the parameter ${name}`);
  }
}

const CHAT = new Set([
  ...COMMON,
  'messages',
  'max_completion_tokens',
  'tools',
  'tool_choice',
  'parallel_tool_calls',
  'functions',
  'function_call',
  'response_format',
  'modalities',
]);

export interface RuntimeGeneration {
  readonly input: GenerationInput;
  readonly params: GenerateParams;
  /** Completions with `echo`: the prompt, put before each choice's text. */
  readonly echo?: string;
}

/** Most choices a runtime generates for one request. */
export const MAX_CHOICES = 8;
/** Most choices OpenAI accepts: an n up to this is valid, and one above MAX_CHOICES is another target's to serve. */
const OPENAI_MAX_CHOICES = 128;

/** `n`: 1 to 128 is valid (OpenAI's bound); above {@link MAX_CHOICES} a runtime cannot, another target may. */
function choicesParam(body: Body): number | undefined {
  const n = intParam(body, 'n', 1, OPENAI_MAX_CHOICES);
  if (n !== undefined && n > MAX_CHOICES)
    throw unsupported('n', `Runtime models generate at most ${MAX_CHOICES} choices`);
  return n;
}

/**
 * `n`, `logit_bias`, the presence and frequency penalties and the `repetition_penalty` extension: shared by
 * chat and text completions. Token ids of `logit_bias` are checked against the vocabulary by the runtime.
 */
function choiceParams(body: Body): GenerateParams {
  const n = choicesParam(body);
  const presencePenalty = numberParam(body, 'presence_penalty', -2, 2);
  const frequencyPenalty = numberParam(body, 'frequency_penalty', -2, 2);
  const repetitionPenalty = numberParam(body, 'repetition_penalty', 0, 1_000, true);
  const logitBias = logitBiasParam(body);
  return {
    ...(n === undefined ? {} : { n }),
    ...(logitBias === undefined ? {} : { logitBias }),
    ...(presencePenalty === undefined ? {} : { presencePenalty }),
    ...(frequencyPenalty === undefined ? {} : { frequencyPenalty }),
    ...(repetitionPenalty === undefined ? {} : { repetitionPenalty }),
  };
}

function logitBiasParam(body: Body): Record<string, number> | undefined {
  const v = body.logit_bias;
  if (absent(v)) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw invalid('logit_bias', 'expected an object of token ids to biases from -100 to 100');
  const entries = Object.entries(v as Body);
  for (const [id, bias] of entries) {
    if (!/^(0|[1-9]\d{0,9})$/.test(id))
      throw invalid('logit_bias', `${JSON.stringify(id)} is not a token id`);
    if (typeof bias !== 'number' || !(bias >= -100 && bias <= 100))
      throw invalid('logit_bias', `the bias of token ${id} must be a number from -100 to 100`);
  }
  return entries.length === 0 ? undefined : (v as Record<string, number>);
}

/** Chat's `logprobs` (boolean) and `top_logprobs` (0..20, only with logprobs). */
function chatLogprobs(body: Body): GenerateParams {
  const v = body.logprobs;
  if (!absent(v) && typeof v !== 'boolean') throw invalid('logprobs', 'expected a boolean');
  const top = intParam(body, 'top_logprobs', 0, 20);
  if (top !== undefined && v !== true) throw invalid('top_logprobs', 'needs logprobs set to true');
  if (v !== true) return {};
  return { logprobs: true, ...(top === undefined ? {} : { topLogprobs: top }) };
}

/** A chat completion request as a runtime generation, or the parameter it cannot honour. */
export function runtimeChat(body: Body): RuntimeGeneration {
  const messages = chatMessages(body.messages);
  const params = {
    ...sampling(body, ['max_tokens', 'max_completion_tokens']),
    ...choiceParams(body),
    ...chatLogprobs(body),
  };
  common(body);
  const noTools = body.tool_choice === 'none';
  neutral(
    body,
    'tools',
    (v) => noTools || (Array.isArray(v) && v.length === 0),
    'Runtime models do not call tools',
  );
  neutral(
    body,
    'functions',
    (v) => noTools || (Array.isArray(v) && v.length === 0),
    'Runtime models do not call tools',
  );
  neutral(body, 'tool_choice', (v) => v === 'none' || v === 'auto', 'Runtime models do not call tools');
  neutral(body, 'function_call', (v) => v === 'none' || v === 'auto', 'Runtime models do not call tools');
  neutral(body, 'parallel_tool_calls', (v) => typeof v === 'boolean', 'Runtime models do not call tools');
  neutral(
    body,
    'response_format',
    (v) => (v as Body | null)?.type === 'text',
    'Runtime models answer plain text only: response_format must be {"type": "text"}',
  );
  neutral(
    body,
    'modalities',
    (v) => Array.isArray(v) && v.every((m) => m === 'text'),
    'Runtime models answer text only',
  );
  unknownParams(body, CHAT);
  return { input: { kind: 'chat', messages }, params };
}

const COMPLETIONS = new Set([...COMMON, 'prompt', 'echo', 'suffix', 'best_of']);

/** A (legacy) text completion request as a runtime generation, or the parameter it cannot honour. */
export function runtimeCompletion(body: Body): RuntimeGeneration {
  let prompt = body.prompt;
  if (Array.isArray(prompt)) {
    if (prompt.some((p) => typeof p !== 'string'))
      throw unsupported('prompt', 'Runtime models take text prompts, not token arrays');
    if (prompt.length !== 1) throw unsupported('prompt', 'Runtime models take one prompt per request');
    prompt = prompt[0];
  }
  if (typeof prompt !== 'string' || prompt.length === 0)
    throw invalid('prompt', 'expected a non-empty string');
  // Completions' logprobs is the number of alternatives per token (0..5): 0 still reports the chosen tokens.
  const top = intParam(body, 'logprobs', 0, 5);
  const params = {
    ...sampling(body, ['max_tokens']),
    ...choiceParams(body),
    ...(top === undefined ? {} : { logprobs: true, topLogprobs: top }),
  };
  common(body);
  neutral(body, 'top_logprobs', () => false, 'Completions take the number of alternatives as logprobs');
  if (!absent(body.echo) && typeof body.echo !== 'boolean') throw invalid('echo', 'expected a boolean');
  const echo = body.echo === true;
  if (echo && top !== undefined)
    throw unsupported(
      'echo',
      'Runtime models do not return the log-probabilities of the prompt: echo with logprobs',
    );
  neutral(body, 'suffix', (v) => v === '', 'Runtime models do not complete toward a suffix');
  neutral(
    body,
    'best_of',
    (v) => v === 1 || v === (params.n ?? 1),
    'Runtime models return every choice they generate: best_of must equal n',
  );
  unknownParams(body, COMPLETIONS);
  return { input: { kind: 'completion', prompt }, params, ...(echo ? { echo: prompt } : {}) };
}

const EMBEDDINGS = new Set([...NO_EFFECT, 'input', 'encoding_format', 'dimensions', 'truncate']);

export interface RuntimeEmbedding {
  readonly texts: readonly string[];
  readonly base64: boolean;
  /** The `truncate` extension: texts longer than the model's window truncated (absent/true) or refused (false). */
  readonly truncate: boolean | undefined;
}

/** An embeddings request for a runtime, or the parameter it cannot honour. */
export function runtimeEmbeddings(body: Body): RuntimeEmbedding {
  const input = body.input;
  const texts = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(texts) || texts.length === 0)
    throw invalid('input', 'expected a string or a non-empty array of strings');
  if (texts.some((t) => typeof t !== 'string'))
    throw unsupported('input', 'Runtime models embed text, not token arrays');
  if (texts.some((t) => (t as string).length === 0)) throw invalid('input', 'texts must not be empty');
  const format = body.encoding_format;
  if (!absent(format) && format !== 'float' && format !== 'base64')
    throw invalid('encoding_format', 'expected float or base64');
  neutral(body, 'dimensions', () => false, 'Runtime models embed at their own dimensions');
  const truncate = body.truncate;
  if (!absent(truncate) && typeof truncate !== 'boolean') throw invalid('truncate', 'expected a boolean');
  unknownParams(body, EMBEDDINGS);
  return {
    texts: texts as string[],
    base64: format === 'base64',
    truncate: absent(truncate) ? undefined : truncate,
  };
}

/** The Responses API is passed through to OpenAI-compatible upstreams; runtimes do not serve it yet. */
export function runtimeResponses(): never {
  throw new BackendError(
    'unsupported',
    'The Responses API is served for models of OpenAI-compatible providers only; use /v1/chat/completions for runtime models',
  );
}
