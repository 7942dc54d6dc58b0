/**
 * Byte-level BPE as GPT-2 does it: split text with GPT-2's regex, map bytes to printable characters,
 * then learn merges by repeatedly joining the most frequent adjacent pair. The encoder applies merges by
 * rank, which is what Hugging Face tokenizers (and transformers.js) do with the exported tokenizer.json.
 * @module
 */
import { BASE_SYMBOLS, fromByteChars, toByteChars } from './bytes.js';

/** GPT-2's pre-tokenizer pattern, the one the ByteLevel pre-tokenizer uses with use_regex=true. */
const GPT2_PATTERN = /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;

export const END_OF_TEXT = '<|endoftext|>';

/** Pre-tokenized words of `text`, already in byte-level characters. */
export function preTokenize(text: string): string[] {
  return (text.match(GPT2_PATTERN) ?? []).map(toByteChars);
}

export interface BpeTrainOptions {
  /** Upper bound on learned merges. */
  readonly maxMerges: number;
  /** A pair seen fewer times than this is never merged. */
  readonly minFrequency: number;
  /**
   * Special tokens after <|endoftext|> (which is always the first), e.g. a chat template's
   * <|im_start|> and <|im_end|>: they end the vocabulary, in this order, and are never learned from text.
   */
  readonly extraSpecialTokens?: readonly string[];
}

function countWords(texts: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const text of texts) for (const w of preTokenize(text)) counts.set(w, (counts.get(w) ?? 0) + 1);
  return counts;
}

function bestPair(words: readonly string[][], freqs: readonly number[]): [string, number] | null {
  const pairs = new Map<string, number>();
  words.forEach((syms, wi) => {
    for (let i = 0; i + 1 < syms.length; i++) {
      const key = `${syms[i]} ${syms[i + 1]}`;
      pairs.set(key, (pairs.get(key) ?? 0) + freqs[wi]!);
    }
  });
  let best: [string, number] | null = null;
  // Ties go to the bytewise-smallest pair so the merge list never depends on Map order.
  for (const [key, n] of pairs) if (!best || n > best[1] || (n === best[1] && key < best[0])) best = [key, n];
  return best;
}

function mergeSymbols(syms: readonly string[], a: string, b: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < syms.length; i++) {
    if (i + 1 < syms.length && syms[i] === a && syms[i + 1] === b) {
      out.push(a + b);
      i++;
    } else out.push(syms[i]!);
  }
  return out;
}

/**
 * Learns merges from `texts`; the vocabulary is the 256 byte symbols, the merged symbols, then
 * <|endoftext|> and any extra special tokens.
 */
export function trainBpe(texts: readonly string[], opts: BpeTrainOptions): BpeTokenizer {
  const counts = countWords(texts);
  let words = [...counts.keys()].map((w) => [...w]);
  const freqs = [...counts.values()];
  const merges: [string, string][] = [];
  while (merges.length < opts.maxMerges) {
    const best = bestPair(words, freqs);
    if (!best || best[1] < opts.minFrequency) break;
    const [a, b] = best[0].split(' ') as [string, string];
    merges.push([a, b]);
    words = words.map((syms) => mergeSymbols(syms, a, b));
  }
  const vocab: string[] = [...BASE_SYMBOLS];
  const seen = new Set(vocab);
  for (const [a, b] of merges) {
    if (!seen.has(a + b)) vocab.push(a + b);
    seen.add(a + b);
  }
  const specials = [END_OF_TEXT, ...(opts.extraSpecialTokens ?? [])];
  if (new Set(specials).size !== specials.length)
    throw new Error(`special tokens repeat: ${specials.join(' ')}`);
  vocab.push(...specials);
  return new BpeTokenizer(vocab, merges, specials);
}

export class BpeTokenizer {
  readonly ids: ReadonlyMap<string, number>;
  readonly #ranks: Map<string, number>;
  readonly #cache = new Map<string, number[]>();
  readonly #specials: ReadonlySet<string>;
  /** Matches any special token, longest first, so text can be split around them. */
  readonly #specialPattern: RegExp;

  constructor(
    readonly vocab: readonly string[],
    readonly merges: readonly (readonly [string, string])[],
    /** Tokens that are whole symbols, not byte-level text: <|endoftext|> first. */
    readonly specialTokens: readonly string[] = [END_OF_TEXT],
  ) {
    this.ids = new Map(vocab.map((t, i) => [t, i]));
    this.#ranks = new Map(merges.map(([a, b], i) => [`${a} ${b}`, i]));
    for (const t of specialTokens)
      if (!this.ids.has(t)) throw new Error(`vocabulary lacks special token ${t}`);
    this.#specials = new Set(specialTokens);
    const escaped = [...specialTokens]
      .sort((a, b) => b.length - a.length)
      .map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.#specialPattern = new RegExp(`(${escaped.join('|')})`);
  }

  get eosId(): number {
    return this.ids.get(END_OF_TEXT)!;
  }

  /** The id of a special token; throws for one the vocabulary lacks. */
  specialId(token: string): number {
    if (!this.#specials.has(token)) throw new Error(`not a special token of this vocabulary: ${token}`);
    return this.ids.get(token)!;
  }

  /** Token ids of plain text (no special tokens are parsed out of it). */
  encode(text: string): number[] {
    return preTokenize(text).flatMap((w) => this.#encodeWord(w));
  }

  /**
   * Token ids of text in which special tokens stand for themselves, as Hugging Face tokenizers treat
   * added tokens: the text is split around them and each piece between is encoded as plain text.
   */
  encodeWithSpecials(text: string): number[] {
    return text
      .split(this.#specialPattern)
      .flatMap((piece) => (this.#specials.has(piece) ? [this.ids.get(piece)!] : this.encode(piece)));
  }

  decode(ids: readonly number[]): string {
    let chars = '';
    let out = '';
    for (const id of ids) {
      const tok = this.vocab[id];
      if (tok === undefined) throw new Error(`unknown token id ${id}`);
      if (!this.#specials.has(tok)) {
        chars += tok;
        continue;
      }
      out += fromByteChars(chars) + tok;
      chars = '';
    }
    return out + fromByteChars(chars);
  }

  #encodeWord(word: string): number[] {
    const hit = this.#cache.get(word);
    if (hit) return hit;
    let syms = [...word];
    for (;;) {
      let bestRank = Number.POSITIVE_INFINITY;
      let best = -1;
      for (let i = 0; i + 1 < syms.length; i++) {
        const r = this.#ranks.get(`${syms[i]} ${syms[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      syms = mergeSymbols(syms, syms[best]!, syms[best + 1]!);
    }
    const ids = syms.map((s) => this.ids.get(s)!);
    this.#cache.set(word, ids);
    return ids;
  }
}
