/**
 * Output guardrails inside OpenAI server-sent events, as passed through from an upstream (or rendered for
 * a runtime): the text deltas (chat choices[i].delta.content and tool_calls[j].function.arguments,
 * completions choices[i].text, the Responses API's response.output_text.delta and
 * response.function_call_arguments.delta) go through one stream redactor per choice; an event whose text changed
 * is written again with only that text changed, every other event and field stays as it came. Held text
 * is released at the choice's finish_reason (or at [DONE], or the Responses API's output_text.done).
 * @module
 */

import { MESSAGE_TEXT_FIELDS, rewriteAnswerTexts } from './openai-bodies.js';
import type { OutputPolicy } from './policy.js';
import { scanOutput } from './scan.js';
import { type Released, StreamRedactor } from './stream-redactor.js';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** An event as written: Responses API events name their type on an `event:` line too. */
const sse = (event: Json) =>
  `${typeof event.type === 'string' ? `event: ${event.type}\n` : ''}data: ${JSON.stringify(event)}\n\n`;

/** The Responses API's streamed texts: message text, a refusal, reasoning, and a function call's arguments. */
const RESPONSES_DELTAS: Readonly<Record<string, { delta: string; done: string; key: string }>> =
  Object.fromEntries(
    [
      ['output_text', 'r'],
      ['refusal', 'n'],
      ['reasoning_text', 't'],
      ['reasoning_summary_text', 's'],
      ['function_call_arguments', 'f'],
    ].flatMap(([name, key]) => {
      const kind = { delta: `response.${name}.delta`, done: `response.${name}.done`, key: key as string };
      return [
        [kind.delta, kind],
        [kind.done, kind],
      ];
    }),
  );

/** A choice of a chunk being guarded, and whether this chunk finishes it. */
interface ChoiceAt {
  readonly event: Json;
  readonly c: Json;
  readonly finished: boolean;
}

/** Reports a release's hits (and remembers a block); the text to send. */
export type Take = (released: Released) => string;

export class FrameGuard {
  readonly #policy: OutputPolicy;
  readonly #take: Take;
  /** Whether a block rule fired: the events after the one it fired in are not written. */
  readonly #stopped: () => boolean;
  readonly #redactors = new Map<string, StreamRedactor>();
  /** The last chunk of each key, the shape a chunk carrying released text is written in. */
  readonly #last = new Map<string, { event: Json; set: (event: Json, text: string) => void }>();
  /** Events to write before the one being guarded (a Responses stream's held tail). */
  #before = '';

  constructor(policy: OutputPolicy, take: Take, stopped: () => boolean) {
    this.#policy = policy;
    this.#take = take;
    this.#stopped = stopped;
  }

  /** One network read of events, with its texts guarded. */
  frame(frame: string): string {
    const parts = frame.split(/(\r?\n\r?\n)/);
    let out = '';
    for (let i = 0; i < parts.length; i += 2) {
      const part = parts[i] as string;
      out += (part === '' ? part : this.#event(part)) + (parts[i + 1] ?? '');
      if (this.#stopped()) break;
    }
    return out;
  }

  /** The end of the stream without [DONE]: every held text, as events. */
  end(): string {
    return this.#flushAll();
  }

  #redactor(key: string): StreamRedactor {
    let r = this.#redactors.get(key);
    if (!r) {
      r = new StreamRedactor(this.#policy);
      this.#redactors.set(key, r);
    }
    return r;
  }

  #push(key: string, text: string): string {
    return this.#take(this.#redactor(key).push(text));
  }

  #flush(key: string): string {
    const r = this.#redactors.get(key);
    if (!r) return '';
    this.#redactors.delete(key);
    return this.#take(r.flush());
  }

  #flushAll(): string {
    let out = '';
    for (const key of [...this.#redactors.keys()]) {
      const text = this.#flush(key);
      const last = this.#last.get(key);
      if (!text || !last) continue;
      const event = structuredClone(last.event);
      last.set(event, text);
      out += sse(event);
    }
    return out;
  }

  #event(raw: string): string {
    const lines = raw.split(/\r?\n/);
    const dataAt = lines.findIndex((l) => l.startsWith('data:'));
    if (dataAt < 0) return raw;
    // An event may spread its data over several lines (joined with newlines): read, and rewrite, them as one.
    const data = lines
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5))
      .join('\n')
      .trim();
    if (data === '[DONE]') return this.#flushAll() + raw;
    let event: unknown;
    try {
      event = JSON.parse(data);
    } catch {
      return raw;
    }
    if (!isObject(event)) return raw;
    this.#before = '';
    const changed = this.#guard(event);
    const before = this.#before;
    if (!changed) return before + raw;
    const rest = lines.filter((l, i) => i === dataAt || !l.startsWith('data:'));
    rest[rest.indexOf(lines[dataAt]!)] = `data: ${JSON.stringify(event)}`;
    return before + rest.join('\n');
  }

  /** Guards the texts of one event in place; true when any changed. */
  #guard(event: Json): boolean {
    if (Array.isArray(event.choices)) return this.#choices(event, event.choices);
    const kind = RESPONSES_DELTAS[String(event.type)];
    if (kind && event.type === kind.delta && typeof event.delta === 'string') {
      const key = `${kind.key}${String(event.output_index)}:${String(event.content_index ?? event.summary_index)}`;
      const text = this.#push(key, event.delta);
      this.#last.set(key, { event: { ...event }, set: (e, t) => (e.delta = t) });
      const changed = text !== event.delta;
      event.delta = text;
      return changed;
    }
    if (kind && event.type === kind.done) {
      // The held tail goes out as one more delta, before the text is said to be done.
      const key = `${kind.key}${String(event.output_index)}:${String(event.content_index ?? event.summary_index)}`;
      const tail = this.#flush(key);
      const last = this.#last.get(key);
      if (tail && last) {
        const more = structuredClone(last.event);
        last.set(more, tail);
        this.#before = sse(more);
      }
    }
    return this.#wholeTexts(event);
  }

  /** Whole texts repeated at the end of a Responses stream (already counted in their deltas), in place. */
  #wholeTexts(event: Json): boolean {
    const fix = (t: string) => scanOutput(this.#policy, t).text;
    let changed = false;
    for (const holder of [event, event.part, event.item, event.response]) {
      if (!isObject(holder)) continue;
      for (const field of ['text', 'arguments', 'refusal'])
        if (typeof holder[field] === 'string') {
          const next = fix(holder[field]);
          changed ||= next !== holder[field];
          holder[field] = next;
        }
      changed = rewriteAnswerTexts(holder, fix) || changed;
      if (Array.isArray(holder.content)) changed = rewriteAnswerTexts({ output: [holder] }, fix) || changed;
    }
    return changed;
  }

  #choices(event: Json, choices: unknown[]): boolean {
    let changed = false;
    for (const c of choices) if (isObject(c) && this.#choice(event, c)) changed = true;
    return changed;
  }

  /** One choice of a chat or completions chunk: each of its delta texts through its own redactor, in place. */
  #choice(event: Json, c: Json): boolean {
    const key = `c${typeof c.index === 'number' ? c.index : 0}`;
    // Completions chunks carry `text` (some servers add an empty delta too); chat chunks carry delta.content.
    const delta = event.object !== 'text_completion' && isObject(c.delta) ? c.delta : undefined;
    const finished = c.finish_reason !== null && c.finish_reason !== undefined;
    const at: ChoiceAt = { event, c, finished };
    if (!delta) return this.#text(key, at, c, 'text');
    let changed = false;
    for (const field of MESSAGE_TEXT_FIELDS)
      changed = this.#text(field === 'content' ? key : `${key}:${field}`, at, delta, field) || changed;
    return this.#toolCalls(key, event, c, delta, finished) || changed;
  }

  /** One text field of a choice (`holder[field]`) through the redactor `key`; its tail at the choice's end. */
  #text(key: string, { event, c, finished }: ChoiceAt, holder: Json, field: string): boolean {
    const before = holder[field];
    let text = '';
    if (typeof before === 'string') {
      text = this.#push(key, before);
      this.#remember(key, event, c, holder === c ? undefined : field);
    }
    if (finished) text += this.#flush(key);
    if (text === (typeof before === 'string' ? before : '')) return false;
    holder[field] = text;
    return true;
  }

  /** A chat chunk's tool-call argument deltas, each call (by its index) through its own redactor, in place. */
  #toolCalls(choiceKey: string, event: Json, c: Json, delta: Json, finished: boolean): boolean {
    let changed = false;
    const calls = Array.isArray(delta.tool_calls) ? delta.tool_calls : [];
    for (const call of calls) {
      if (!isObject(call) || !isObject(call.function) || typeof call.function.arguments !== 'string')
        continue;
      const index = typeof call.index === 'number' ? call.index : 0;
      const key = `${choiceKey}t${index}`;
      const before = call.function.arguments;
      const text = this.#push(key, before);
      const shape: Json = { ...event, choices: [{ ...c, delta: {}, finish_reason: null }] };
      delete shape.usage;
      this.#last.set(key, {
        event: shape,
        set: (e, t) => {
          (e.choices as Json[])[0]!.delta = { tool_calls: [{ index, function: { arguments: t } }] };
        },
      });
      if (text !== before) {
        call.function.arguments = text;
        changed = true;
      }
    }
    if (!finished) return changed;
    // The held tails of this choice's calls go out in its last chunk, as more argument deltas.
    const tails: Json[] = [];
    for (const key of [...this.#redactors.keys()].filter((k) => k.startsWith(`${choiceKey}t`))) {
      const tail = this.#flush(key);
      if (tail) tails.push({ index: Number(key.slice(choiceKey.length + 1)), function: { arguments: tail } });
    }
    if (tails.length === 0) return changed;
    delta.tool_calls = [...calls, ...tails];
    return true;
  }

  /** The shape a chunk carrying this choice's released text takes at the end: its last chunk's. */
  #remember(key: string, event: Json, c: Json, deltaField: string | undefined): void {
    const shape: Json = { ...event, choices: [{ ...c, finish_reason: null }] };
    delete shape.usage;
    const set = deltaField
      ? (e: Json, t: string) => {
          (e.choices as Json[])[0]!.delta = { [deltaField]: t };
        }
      : (e: Json, t: string) => {
          (e.choices as Json[])[0]!.text = t;
        };
    this.#last.set(key, { event: shape, set });
  }
}
