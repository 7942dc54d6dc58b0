import { expect } from 'chai';
import { bertTokenizerFiles } from '../../../models/src/tokenizers/hf-files.js';
import {
  normalize,
  preTokenize,
  SPECIAL_TOKENS,
  trainWordPiece,
} from '../../../models/src/tokenizers/wordpiece.js';
import { loadHfTokenizer } from '../helpers/hf-tokenizer.js';

const DATA = ['The cat sat.', 'The dog sat, and the cat ran!', 'Cats are great'];

describe('WordPiece', () => {
  it('normalizes like BertNormalizer: lowercase, accents stripped, controls dropped, whitespace to spaces', () => {
    expect(normalize('Café\tNAÏVE\u0000!')).to.equal('cafe naive!');
  });

  it('splits on whitespace and punctuation like BertPreTokenizer', () => {
    expect(preTokenize("it's ok, fine!")).to.deep.equal(['it', "'", 's', 'ok', ',', 'fine', '!']);
  });

  it('builds specials, characters, ## characters, then words by descending count', () => {
    const tok = trainWordPiece(DATA, { minCount: 1 });
    expect(tok.vocab.slice(0, 5)).to.deep.equal([...SPECIAL_TOKENS]);
    expect(tok.id('[PAD]')).to.equal(0);
    expect(tok.vocab).to.include.members(['c', '##c', '!', 'the', 'cat', 'sat', 'cats']);
    expect(tok.vocab.indexOf('the')).to.be.below(tok.vocab.indexOf('dog'));
    expect(trainWordPiece(DATA, { minCount: 2 }).vocab).to.not.include('dog');
  });

  it('keeps known words whole, splits unknown ones into the longest known pieces, and [UNK]s the rest', () => {
    const tok = trainWordPiece(DATA, { minCount: 1 });
    expect(tok.tokenize('The cat')).to.deep.equal(['the', 'cat']);
    expect(tok.tokenize('catdog')).to.deep.equal(['cat', '##d', '##o', '##g']);
    expect(tok.tokenize('zebra')).to.deep.equal(['[UNK]']);
    expect(tok.encode('cat')).to.deep.equal([tok.id('[CLS]'), tok.id('cat'), tok.id('[SEP]')]);
  });

  it('encodes exactly like transformers.js does with the exported tokenizer.json', async function () {
    this.timeout(20_000);
    const tok = trainWordPiece(DATA, { minCount: 1 });
    const hf = await loadHfTokenizer(bertTokenizerFiles(tok, 32));
    for (const t of [...DATA, 'CATDOG ran, zebra!', 'Ça sat']) {
      expect(Array.from(hf.encode(t)), t).to.deep.equal(tok.encode(t));
    }
  });
});
