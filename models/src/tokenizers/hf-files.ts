/**
 * The Hugging Face tokenizer files (tokenizer.json, tokenizer_config.json, special_tokens_map.json)
 * for our two tokenizers, in the layout `tokenizers` and transformers.js load.
 * @module
 */
import { type BpeTokenizer, END_OF_TEXT } from './bpe.js';
import { SPECIAL_TOKENS, type WordPieceTokenizer } from './wordpiece.js';

export type JsonFiles = Record<string, unknown>;

function addedToken(id: number, content: string): Record<string, unknown> {
  return { id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true };
}

function vocabObject(vocab: readonly string[]): Record<string, number> {
  return Object.fromEntries(vocab.map((t, i) => [t, i]));
}

export function bertTokenizerFiles(tok: WordPieceTokenizer, maxLength: number): JsonFiles {
  const special = (t: string): Record<string, unknown> => ({ id: t, ids: [tok.id(t)], tokens: [t] });
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map((t) => addedToken(tok.id(t), t)),
    normalizer: {
      type: 'BertNormalizer',
      clean_text: true,
      handle_chinese_chars: true,
      strip_accents: null,
      lowercase: true,
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
      ],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: { '[CLS]': special('[CLS]'), '[SEP]': special('[SEP]') },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: vocabObject(tok.vocab),
    },
  };
  const specials = {
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
  };
  return {
    'tokenizer.json': tokenizer,
    'tokenizer_config.json': {
      tokenizer_class: 'BertTokenizer',
      do_lower_case: true,
      strip_accents: null,
      tokenize_chinese_chars: true,
      model_max_length: maxLength,
      clean_up_tokenization_spaces: true,
      ...specials,
    },
    'special_tokens_map.json': specials,
  };
}

/**
 * The GPT-2 tokenizer files. Every special token of `tok` becomes an added token, and a `chatTemplate`
 * (a Jinja template, as `apply_chat_template` renders it) goes into tokenizer_config.json with the
 * extra special tokens it uses listed as additional_special_tokens.
 */
export function gpt2TokenizerFiles(tok: BpeTokenizer, maxLength: number, chatTemplate?: string): JsonFiles {
  const byteLevel = { add_prefix_space: false, trim_offsets: true, use_regex: true };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: tok.specialTokens.map((t) => addedToken(tok.specialId(t), t)),
    normalizer: null,
    pre_tokenizer: { type: 'ByteLevel', ...byteLevel },
    post_processor: { type: 'ByteLevel', ...byteLevel, trim_offsets: false },
    decoder: { type: 'ByteLevel', ...byteLevel },
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      continuing_subword_prefix: '',
      end_of_word_suffix: '',
      fuse_unk: false,
      byte_fallback: false,
      ignore_merges: false,
      vocab: vocabObject(tok.vocab),
      merges: tok.merges.map(([a, b]) => [a, b]),
    },
  };
  const extra = tok.specialTokens.filter((t) => t !== END_OF_TEXT);
  const specials = {
    bos_token: END_OF_TEXT,
    eos_token: END_OF_TEXT,
    unk_token: END_OF_TEXT,
    pad_token: END_OF_TEXT,
    ...(extra.length ? { additional_special_tokens: extra } : {}),
  };
  return {
    'tokenizer.json': tokenizer,
    'tokenizer_config.json': {
      tokenizer_class: 'GPT2Tokenizer',
      add_prefix_space: false,
      add_bos_token: false,
      model_max_length: maxLength,
      clean_up_tokenization_spaces: false,
      ...specials,
      ...(chatTemplate === undefined ? {} : { chat_template: chatTemplate }),
    },
    'special_tokens_map.json': specials,
  };
}
