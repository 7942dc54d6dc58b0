import { expect } from 'chai';
import { END_OF_TEXT, preTokenize, trainBpe } from '../../../models/src/tokenizers/bpe.js';
import { BASE_SYMBOLS, fromByteChars, toByteChars } from '../../../models/src/tokenizers/bytes.js';
import { gpt2TokenizerFiles } from '../../../models/src/tokenizers/hf-files.js';
import { loadHfTokenizer } from '../helpers/hf-tokenizer.js';

const CORPUS = ['the low lower lowest', 'the newer newest wider', 'a low slow flow'];
const ODD_TEXTS = [
  'the lowest flow',
  'Hello, World!  Two  spaces\nand a newline',
  "naïve café — it's 42°C 🚀",
  ' leading space',
  '',
];

describe('byte-level BPE', () => {
  it('has 256 distinct base symbols and round-trips any UTF-8 through byte characters', () => {
    expect(new Set(BASE_SYMBOLS).size).to.equal(256);
    expect(BASE_SYMBOLS[0]).to.equal('!');
    expect(toByteChars(' a\n')).to.equal('Ġa\u010a');
    for (const t of ODD_TEXTS) expect(fromByteChars(toByteChars(t))).to.equal(t);
  });

  it('pre-tokenizes with GPT-2 rules: a space sticks to the word after it', () => {
    expect(preTokenize("it's a test.").map(fromByteChars)).to.deep.equal(['it', "'s", ' a', ' test', '.']);
  });

  it('learns the most frequent pair first and breaks ties bytewise, deterministically', () => {
    const tok = trainBpe(CORPUS, { maxMerges: 3, minFrequency: 2 });
    // "l o" and "o w" tie (low x2, lower, lowest, slow, flow); the bytewise-smaller pair wins.
    expect(tok.merges[0]).to.deep.equal(['l', 'o']);
    expect(tok.merges[1]).to.deep.equal(['lo', 'w']);
    expect(tok.merges).to.deep.equal(trainBpe(CORPUS, { maxMerges: 3, minFrequency: 2 }).merges);
    expect(tok.vocab.length).to.equal(256 + 3 + 1);
    expect(tok.vocab.at(-1)).to.equal(END_OF_TEXT);
  });

  it('stops when the best pair is rarer than minFrequency', () => {
    const few = trainBpe(CORPUS, { maxMerges: 1000, minFrequency: 2 });
    const all = trainBpe(CORPUS, { maxMerges: 1000, minFrequency: 1 });
    expect(few.merges.length).to.be.below(all.merges.length);
    // With every pair merged, each corpus word is one token.
    for (const text of CORPUS) {
      for (const w of preTokenize(text)) expect(all.encode(fromByteChars(w))).to.have.length(1);
    }
  });

  it('round-trips text, including bytes it never saw, and decodes end-of-text', () => {
    const tok = trainBpe(CORPUS, { maxMerges: 50, minFrequency: 1 });
    for (const t of ODD_TEXTS) expect(tok.decode(tok.encode(t))).to.equal(t);
    expect(tok.decode([...tok.encode('the low'), tok.eosId, ...tok.encode('a')])).to.equal(
      `the low${END_OF_TEXT}a`,
    );
  });

  it('encodes exactly like transformers.js does with the exported tokenizer.json', async function () {
    this.timeout(20_000);
    const tok = trainBpe(CORPUS, { maxMerges: 40, minFrequency: 1 });
    const hf = await loadHfTokenizer(gpt2TokenizerFiles(tok, 64));
    for (const t of [...CORPUS, ...ODD_TEXTS]) {
      expect(Array.from(hf.encode(t)), t).to.deep.equal(tok.encode(t));
      if (t) expect(hf.decode(tok.encode(t)), t).to.equal(t);
    }
  });

  it('puts extra special tokens after <|endoftext|> and splits text around them as transformers.js does', async function () {
    this.timeout(20_000);
    const specials = ['<|im_start|>', '<|im_end|>'];
    const tok = trainBpe(CORPUS, { maxMerges: 40, minFrequency: 1, extraSpecialTokens: specials });
    expect(tok.vocab.slice(-3)).to.deep.equal([END_OF_TEXT, ...specials]);
    expect(tok.specialTokens).to.deep.equal([END_OF_TEXT, ...specials]);
    expect(() => tok.specialId('the')).to.throw('not a special token');
    const files = gpt2TokenizerFiles(tok, 64, "{{ messages[0]['content'] }}");
    const config = files['tokenizer_config.json'] as Record<string, unknown>;
    expect(config.additional_special_tokens).to.deep.equal(specials);
    expect(config.chat_template).to.equal("{{ messages[0]['content'] }}");
    const hf = await loadHfTokenizer(files);
    const text = '<|im_start|>user\nthe lowest<|im_end|>\n<|im_start|>a<|im_end|><|endoftext|>';
    const ids = tok.encodeWithSpecials(text);
    expect(ids.filter((id) => id >= tok.vocab.length - 3)).to.deep.equal(
      ['<|im_start|>', '<|im_end|>', '<|im_start|>', '<|im_end|>', END_OF_TEXT].map((t) => tok.specialId(t)),
    );
    expect(Array.from(hf.encode(text))).to.deep.equal(ids);
    expect(tok.decode(ids)).to.equal(text);
    expect(tok.encode('<|im_end|>')).to.not.include(tok.specialId('<|im_end|>'));
  });

  it('refuses a special token twice', () => {
    expect(() =>
      trainBpe(CORPUS, { maxMerges: 1, minFrequency: 1, extraSpecialTokens: [END_OF_TEXT] }),
    ).to.throw('special tokens repeat');
  });
});
