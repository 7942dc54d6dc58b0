/**
 * Scanning text with a policy's rules: the matches of every rule, without overlaps, and the text with the
 * redacted ones replaced by a marker. Long texts are scanned in overlapping chunks, so a slow expression
 * pays for a chunk at a time, never for the whole text at once.
 * @module
 */
import type { Span } from './detectors.js';
import type { Action, OutputPolicy, OutputRule } from './policy.js';

/** Texts longer than this are scanned a chunk at a time; matches longer than the overlap may be missed. */
export const SCAN_CHUNK = 16_384;
export const SCAN_OVERLAP = 1_024;

export interface Found extends Span {
  readonly rule: OutputRule;
}

export interface Hit {
  readonly rule: string;
  readonly action: Action;
}

export const marker = (rule: string) => `[REDACTED:${rule}]`;

/** `find` over a text, a chunk at a time when it is long; spans are in the text's offsets. */
export function chunked(text: string, find: (part: string) => Span[]): Span[] {
  if (text.length <= SCAN_CHUNK) return find(text);
  const spans: Span[] = [];
  for (let at = 0; at < text.length; at += SCAN_CHUNK - SCAN_OVERLAP) {
    for (const s of find(text.slice(at, at + SCAN_CHUNK)))
      spans.push({ start: s.start + at, end: s.end + at });
    if (at + SCAN_CHUNK >= text.length) break;
  }
  return spans;
}

/**
 * Every rule's matches, earliest first; where two overlap the earlier (then the longer, then a block
 * rule) is kept, so no text is reported twice.
 */
export function findAll(rules: readonly OutputRule[], text: string): Found[] {
  const all: Found[] = [];
  for (const rule of rules) for (const s of chunked(text, (t) => rule.find(t))) all.push({ ...s, rule });
  all.sort(
    (a, b) =>
      a.start - b.start ||
      b.end - a.end ||
      (a.rule.action === b.rule.action ? 0 : a.rule.action === 'block' ? -1 : 1),
  );
  const kept: Found[] = [];
  let end = 0;
  for (const f of all) {
    if (f.start < end) continue;
    kept.push(f);
    end = f.end;
  }
  return kept;
}

/** The text with each found span replaced by its rule's marker (spans relative to `text`). */
export function redact(text: string, found: readonly Found[]): string {
  let out = '';
  let at = 0;
  for (const f of found) {
    out += text.slice(at, f.start) + marker(f.rule.name);
    at = f.end;
  }
  return out + text.slice(at);
}

export interface Scanned {
  readonly text: string;
  readonly hits: readonly Hit[];
  /** The first block rule that matched: the text must not be sent. */
  readonly blocked?: string;
}

/** A whole text (a non-streamed answer) under an output policy. */
export function scanOutput(policy: OutputPolicy, text: string): Scanned {
  const found = findAll(policy.rules, text);
  const hits = found.map((f) => ({ rule: f.rule.name, action: f.rule.action }));
  const blocked = found.find((f) => f.rule.action === 'block')?.rule.name;
  return { text: redact(text, found), hits, ...(blocked ? { blocked } : {}) };
}
