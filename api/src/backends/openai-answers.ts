/**
 * What the router reads from an OpenAI-compatible answer it passes through, without parsing or
 * re-serialising more of it than it must: the usage it reports (chat, completions and embeddings'
 * `prompt_tokens`/`completion_tokens`, the Responses API's `input_tokens`/`output_tokens`), a stream
 * chunk's finish reason and text. Pure.
 * @module
 */

export interface Usage {
  readonly input: number;
  readonly output: number;
}

const NONE: Usage = { input: 0, output: 0 };

function usageFrom(value: unknown): Usage | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const u = value as Record<string, unknown>;
  const num = (v: unknown) =>
    typeof v === 'number' && Number.isFinite(v) && v >= 0 ? Math.floor(v) : undefined;
  const input = num(u.prompt_tokens) ?? num(u.input_tokens);
  const output = num(u.completion_tokens) ?? num(u.output_tokens) ?? 0;
  return input === undefined ? undefined : { input, output };
}

/** The end of the JSON object that starts at `start` (strings and escapes respected), or -1. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let i = start; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++;
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123) depth++;
    else if (c === 125 && --depth === 0) return i;
  }
  return -1;
}

/**
 * The usage of a whole JSON answer. It is the last `"usage"` member of the top-level object in every
 * OpenAI shape, so only that object is parsed (an answer of a million floats is not).
 */
export function usageOf(body: Buffer): Usage {
  const text = body.toString('utf8');
  let at = text.lastIndexOf('"usage"');
  while (at !== -1) {
    const open = text.indexOf('{', at);
    const colon = text.indexOf(':', at + 7);
    if (open !== -1 && colon !== -1 && text.slice(colon + 1, open).trim() === '') {
      const end = objectEnd(text, open);
      if (end !== -1) {
        try {
          const found = usageFrom(JSON.parse(text.slice(open, end + 1)));
          if (found) return found;
        } catch {
          // Not the usage object (the word inside a string): look further back.
        }
      }
    }
    at = at === 0 ? -1 : text.lastIndexOf('"usage"', at - 1);
  }
  return NONE;
}

/** The `data:` payload of one server-sent event (its data lines joined), or undefined without one. */
export function dataOf(frame: string): string | undefined {
  if (frame.startsWith('data: ') && !frame.includes('\n')) return frame.slice(6);
  let data: string | undefined;
  for (const line of frame.split(/\r?\n/)) {
    if (!line.startsWith('data:')) continue;
    const value = line.slice(line[5] === ' ' ? 6 : 5);
    data = data === undefined ? value : `${data}\n${value}`;
  }
  return data;
}

/**
 * The usage an event's data reports, and whether the event is nothing but usage (the chunk with empty
 * `choices` that `stream_options.include_usage` adds). A Responses API event carries it in `response`.
 */
export function usageOfText(data: string): (Usage & { usageOnly: boolean }) | undefined {
  if (/"usage"\s*:\s*null/.test(data) && !data.includes('"response"')) return undefined;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(data) as Record<string, unknown>;
  } catch {
    return undefined;
  }
  const direct = usageFrom(parsed.usage);
  const found = direct ?? usageFrom((parsed.response as Record<string, unknown> | undefined)?.usage);
  if (!found) return undefined;
  const choices = parsed.choices;
  return { ...found, usageOnly: direct !== undefined && Array.isArray(choices) && choices.length === 0 };
}

/** The last finish reason the chunks of a block state, if any. */
export function finishOf(block: string): string | undefined {
  let found: string | undefined;
  for (const m of block.matchAll(/"finish_reason"\s*:\s*"([^"]+)"/g)) found = m[1];
  return found;
}

/** The text a chat or completion chunk adds (`delta.content`, or `text`). */
export function textOf(frame: string): string | undefined {
  const data = dataOf(frame);
  if (data === undefined || data === '[DONE]') return undefined;
  try {
    const chunk = JSON.parse(data) as { choices?: { delta?: { content?: unknown }; text?: unknown }[] };
    const choice = chunk.choices?.[0];
    const text = choice?.delta?.content ?? choice?.text;
    return typeof text === 'string' ? text : undefined;
  } catch {
    return undefined;
  }
}
