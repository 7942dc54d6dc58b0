/**
 * BERT-style WordPiece: BertNormalizer (lowercase, accents stripped), BertPreTokenizer (whitespace and
 * punctuation split) and greedy longest-match-first word pieces. The vocabulary is built from the
 * training data: every word seen becomes a whole token, and single characters (plain and `##`) are
 * the fallback, so unseen words split into characters instead of collapsing to [UNK].
 * @module
 */

export const SPECIAL_TOKENS = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] as const;
const PUNCT = '\\p{P}\\u0021-\\u002F\\u003A-\\u0040\\u005B-\\u0060\\u007B-\\u007E';
const PRE_TOKEN = new RegExp(`[^\\s${PUNCT}]+|[${PUNCT}]`, 'gu');
const MAX_CHARS_PER_WORD = 100;

/** BertNormalizer with clean_text, lowercase and (implied) accent stripping. */
export function normalize(text: string): string {
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cp === 0 || cp === 0xfffd || (/^[\p{Cc}\p{Cf}]$/u.test(ch) && !/^[\t\n\r]$/.test(ch))) continue;
    out += /^\s$/u.test(ch) ? ' ' : ch;
  }
  return out
    .toLowerCase()
    .normalize('NFD')
    .replace(/\p{Mn}/gu, '');
}

export function preTokenize(normalized: string): string[] {
  return normalized.trim().match(PRE_TOKEN) ?? [];
}

export interface WordPieceTrainOptions {
  /** Words seen fewer times stay out of the vocabulary. */
  readonly minCount: number;
}

/** The vocabulary: specials, characters, `##` characters, then words by descending count. */
export function trainWordPiece(texts: readonly string[], opts: WordPieceTrainOptions): WordPieceTokenizer {
  const counts = new Map<string, number>();
  const chars = new Set<string>();
  for (const text of texts) {
    for (const w of preTokenize(normalize(text))) {
      counts.set(w, (counts.get(w) ?? 0) + 1);
      for (const c of w) chars.add(c);
    }
  }
  const sortedChars = [...chars].sort();
  const words = [...counts.entries()]
    .filter(([w, n]) => n >= opts.minCount && [...w].length > 1)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([w]) => w);
  return new WordPieceTokenizer([
    ...SPECIAL_TOKENS,
    ...sortedChars,
    ...sortedChars.map((c) => `##${c}`),
    ...words,
  ]);
}

export class WordPieceTokenizer {
  readonly ids: ReadonlyMap<string, number>;

  constructor(readonly vocab: readonly string[]) {
    this.ids = new Map(vocab.map((t, i) => [t, i]));
    for (const s of SPECIAL_TOKENS) if (!this.ids.has(s)) throw new Error(`vocabulary lacks ${s}`);
  }

  id(token: string): number {
    return this.ids.get(token)!;
  }

  /** Word pieces of `text` without specials. */
  tokenize(text: string): string[] {
    return preTokenize(normalize(text)).flatMap((w) => this.#pieces(w));
  }

  /** `[CLS] pieces [SEP]` ids, as the TemplateProcessing post-processor produces them. */
  encode(text: string): number[] {
    return [this.id('[CLS]'), ...this.tokenize(text).map((t) => this.id(t)), this.id('[SEP]')];
  }

  #pieces(word: string): string[] {
    const chars = [...word];
    if (chars.length > MAX_CHARS_PER_WORD) return ['[UNK]'];
    const out: string[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let found: string | null = null;
      while (start < end) {
        const sub = (start > 0 ? '##' : '') + chars.slice(start, end).join('');
        if (this.ids.has(sub)) {
          found = sub;
          break;
        }
        end--;
      }
      if (found === null) return ['[UNK]'];
      out.push(found);
      start = end;
    }
    return out;
  }
}
