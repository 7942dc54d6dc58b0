/**
 * What guardrails read and rewrite in OpenAI-shaped bodies, and nothing else: the request's text (messages'
 * content, prompt, input, instructions) and the answer's text (choices[].message.content, choices[].text,
 * tool calls' arguments, the Responses API's output[].content[].text and function calls' arguments). An answer nothing was redacted in is kept byte for byte.
 * @module
 */

import type { InputText } from '../inference/operations.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Text of a content value: a string, or an array of parts whose `text` strings count. */
function contentTexts(content: unknown): string[] {
  if (typeof content === 'string') return [content];
  if (!Array.isArray(content)) return [];
  return content.flatMap((part) => (isObject(part) && typeof part.text === 'string' ? [part.text] : []));
}

const INSTRUCTION_ROLES = new Set(['system', 'developer']);

/**
 * The texts of a message (or Responses input item), marked when its role is the application's. A tool's
 * result (the Responses API's function_call_output) is text from outside, where injections hide.
 */
function messageTexts(m: unknown): InputText[] {
  if (!isObject(m)) return [];
  const instructions = typeof m.role === 'string' && INSTRUCTION_ROLES.has(m.role);
  const texts = [...contentTexts(m.content), ...contentTexts(m.output)];
  return texts.map((text) => ({ text, ...(instructions ? { instructions } : {}) }));
}

/** Texts of a prompt or input field: a string, or a list of strings and message-like items. */
function fieldTexts(field: unknown): InputText[] {
  if (typeof field === 'string') return [{ text: field }];
  if (!Array.isArray(field)) return [];
  return field.flatMap((item) => (typeof item === 'string' ? [{ text: item }] : messageTexts(item)));
}

/** Every text a request to an OpenAI endpoint carries (the input guardrails read these). */
export function openAIRequestTexts(body: Readonly<Record<string, unknown>>): InputText[] {
  const messages = Array.isArray(body.messages) ? body.messages : [];
  return [
    ...(typeof body.instructions === 'string' ? [{ text: body.instructions, instructions: true }] : []),
    ...messages.flatMap(messageTexts),
    ...fieldTexts(body.prompt),
    // /v1/completions inserts between prompt and suffix: the suffix is prompt text too.
    ...fieldTexts(body.suffix),
    ...fieldTexts(body.input),
  ];
}

const isTokenIds = (v: unknown) => Array.isArray(v) && v.length > 0 && v.every((n) => typeof n === 'number');

/**
 * The field that carries token ids instead of text (`prompt` or `input` as [1, 2] or [[1, 2]]): text the
 * input guardrails cannot read, so a model with them refuses it rather than let it through unscreened.
 */
export function openAITokenInput(body: Readonly<Record<string, unknown>>): string | undefined {
  for (const field of ['prompt', 'input'] as const) {
    const v = body[field];
    if (isTokenIds(v) || (Array.isArray(v) && v.some(isTokenIds))) return field;
  }
  return undefined;
}

/** Whether the request asks for token log-probabilities, whose token texts would carry what is redacted. */
export function openAIAsksLogprobs(body: Readonly<Record<string, unknown>>): boolean {
  const lp = body.logprobs;
  if (lp !== undefined && lp !== null && lp !== false) return true;
  if (typeof body.top_logprobs === 'number' && body.top_logprobs > 0) return true;
  return (
    Array.isArray(body.include) && body.include.some((i) => typeof i === 'string' && i.includes('logprobs'))
  );
}

/** A chat message's (or delta's) fields that are answer text: its content, a refusal, and the reasoning some servers show. */
export const MESSAGE_TEXT_FIELDS = ['content', 'refusal', 'reasoning_content', 'reasoning'] as const;

/** The objects of an answer whose `text` or `content` string is answer text. */
function textHolders(body: Json): { holder: Json; key: string }[] {
  const out: { holder: Json; key: string }[] = [];
  const parts = (content: unknown) => {
    if (Array.isArray(content))
      for (const part of content)
        if (isObject(part)) out.push({ holder: part, key: 'text' }, { holder: part, key: 'refusal' });
  };
  // A tool call's arguments are answer text too: the application may show them or act on them.
  const calls = (list: unknown) => {
    if (Array.isArray(list))
      for (const call of list)
        if (isObject(call) && isObject(call.function)) out.push({ holder: call.function, key: 'arguments' });
  };
  for (const c of Array.isArray(body.choices) ? body.choices : []) {
    if (!isObject(c)) continue;
    out.push({ holder: c, key: 'text' });
    if (isObject(c.message)) {
      for (const key of MESSAGE_TEXT_FIELDS) out.push({ holder: c.message, key });
      parts(c.message.content);
      calls(c.message.tool_calls);
    }
  }
  for (const item of Array.isArray(body.output) ? body.output : [])
    if (isObject(item)) {
      parts(item.content);
      parts(item.summary);
      if (item.type === 'function_call') out.push({ holder: item, key: 'arguments' });
    }
  out.push({ holder: body, key: 'output_text' });
  return out;
}

/** Applies `fix` to each answer text of a parsed body, in place; true when any changed. */
export function rewriteAnswerTexts(body: unknown, fix: (text: string) => string): boolean {
  if (!isObject(body)) return false;
  let changed = false;
  for (const { holder, key } of textHolders(body)) {
    const value = holder[key];
    if (typeof value !== 'string') continue;
    const next = fix(value);
    if (next !== value) {
      holder[key] = next;
      changed = true;
    }
  }
  return changed;
}

/**
 * A JSON answer body with its texts fixed; the same string when nothing changed. A body that is not JSON is
 * fixed as one text: an upstream's odd answer is not a way around the guardrails.
 */
export function rewriteAnswerBody(raw: string, fix: (text: string) => string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return fix(raw);
  }
  return rewriteAnswerTexts(parsed, fix) ? JSON.stringify(parsed) : raw;
}
