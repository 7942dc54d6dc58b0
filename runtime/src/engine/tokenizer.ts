/**
 * Tokenizers from the model directory, through transformers.js's AutoTokenizer, strictly offline.
 * @module
 */
import { AutoTokenizer, env, type PreTrainedTokenizer } from '@huggingface/transformers';

/** Process-wide transformers.js settings: local files only, and no cache writes anywhere. */
function configureOffline(): void {
  env.allowRemoteModels = false;
  env.allowLocalModels = true;
  env.useFSCache = false;
  env.useBrowserCache = false;
}

/** The tokenizer operations the engines need, over a loaded transformers.js tokenizer. */
export class TextTokenizer {
  private idToToken: Map<number, string> | undefined;

  constructor(private readonly inner: PreTrainedTokenizer) {}

  /** Token ids of a text, with the special tokens the model's template adds (e.g. [CLS] ... [SEP]). */
  encode(text: string): number[] {
    return this.inner.encode(text);
  }

  /**
   * Token ids of a text that fit `maxLength` with the special tokens: a longer text loses its last tokens and
   * keeps the specials (`[CLS] ... [SEP]`), as transformers' and sentence-transformers' truncation do.
   */
  encodeTruncated(text: string, maxLength: number): number[] {
    const full = this.inner.encode(text);
    if (full.length <= maxLength) return full;
    const own = this.inner.encode(text, { add_special_tokens: false });
    const specials = full.length - own.length;
    // Where the text's own tokens sit among the specials the template adds (after [CLS], <s>, ...).
    let start = 0;
    while (start <= specials && !own.every((id, i) => full[start + i] === id)) start++;
    if (start > specials) return full.slice(0, maxLength);
    const kept = own.slice(0, Math.max(0, maxLength - specials));
    return [...full.slice(0, start), ...kept, ...full.slice(start + own.length)];
  }

  /** Text of generated ids, without special tokens. */
  decode(ids: readonly number[]): string {
    return ids.length === 0 ? '' : this.inner.decode([...ids], { skip_special_tokens: true });
  }

  /** The vocabulary entry of each id, e.g. `Ġrobot` or `[CLS]`. */
  tokens(ids: readonly number[]): string[] {
    if (!this.idToToken) {
      this.idToToken = new Map([...this.inner.get_vocab()].map(([token, id]) => [id, token]));
    }
    return ids.map((id) => this.idToToken?.get(id) ?? '');
  }

  /** Id used to pad batches; undefined when the tokenizer defines none. */
  get padId(): number | undefined {
    return this.inner.pad_token_id ?? undefined;
  }

  /** The end-of-sequence id, when the tokenizer defines one. */
  get eosId(): number | undefined {
    return this.inner.eos_token_id ?? undefined;
  }
}

/** Loads `tokenizer.json` + `tokenizer_config.json` from a local model directory (an absolute path). */
export async function loadTokenizer(modelDir: string): Promise<TextTokenizer> {
  configureOffline();
  const inner = await AutoTokenizer.from_pretrained(modelDir, { local_files_only: true });
  return new TextTokenizer(inner);
}
