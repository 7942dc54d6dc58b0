/**
 * Output guardrails over a stream of text: the last `holdBackChars` characters (and any match still touching
 * the end, which may grow) are held back until more text shows what they are, so a card number split
 * across chunks is caught whole. The held text is released at the end. A block rule stops the stream at the
 * match: the text before it is released, nothing from it on.
 * @module
 */
import type { OutputPolicy } from './policy.js';
import { findAll, type Hit, redact } from './scan.js';

/** Released text kept for look-behind (a match's start depends on the character before it). */
const CONTEXT = 64;

const isHighSurrogate = (code: number) => code >= 0xd800 && code <= 0xdbff;

export interface Released {
  readonly text: string;
  readonly hits: readonly Hit[];
  readonly blocked?: string;
}

export class StreamRedactor {
  readonly #policy: OutputPolicy;
  /** Past this, a match that keeps growing is cut (held text must stay bounded). */
  readonly #maxHeld: number;
  #held = '';
  #context = '';
  #blocked: string | undefined;

  constructor(policy: OutputPolicy) {
    this.#policy = policy;
    this.#maxHeld = Math.max(4096, policy.holdBackChars * 4);
  }

  /** More text: what can be released now. */
  push(text: string): Released {
    this.#held += text;
    return this.#release(false);
  }

  /** The end of the stream: everything still held. */
  flush(): Released {
    return this.#release(true);
  }

  #release(final: boolean): Released {
    if (this.#blocked) return { text: '', hits: [], blocked: this.#blocked };
    const held = this.#held;
    const offset = this.#context.length;
    const found = findAll(this.#policy.rules, this.#context + held)
      .filter((f) => f.start >= offset)
      .map((f) => ({ ...f, start: f.start - offset, end: f.end - offset }));
    let cut = final ? held.length : Math.max(0, held.length - this.#policy.holdBackChars);
    if (!final) for (const f of found) if (f.end > cut) cut = Math.min(cut, f.start);
    if (cut === 0 && held.length > this.#maxHeld) cut = held.length - this.#policy.holdBackChars;
    // Lengths count UTF-16 units: never release half a character (a lone surrogate no decoder accepts).
    if (cut > 0 && cut < held.length && isHighSurrogate(held.charCodeAt(cut - 1))) cut--;
    const done = found.filter((f) => f.end <= cut);
    const block = done.find((f) => f.rule.action === 'block');
    if (block) {
      // What came before the match is released (redacted): the stream ends at the rule, not before it.
      this.#blocked = block.rule.name;
      this.#held = '';
      const before = done.filter((f) => f.end <= block.start);
      return {
        text: redact(held.slice(0, block.start), before),
        hits: [...before, block].map((f) => ({ rule: f.rule.name, action: f.rule.action })),
        blocked: block.rule.name,
      };
    }
    const out = held.slice(0, cut);
    this.#context = (this.#context + out).slice(-CONTEXT);
    this.#held = held.slice(cut);
    return {
      text: redact(out, done),
      hits: done.map((f) => ({ rule: f.rule.name, action: f.rule.action })),
    };
  }
}
