import { expect } from 'chai';
import { parseLabelled, parseStories, parseTopics } from '../../../models/src/data/corpus.js';

describe('training data parsers', () => {
  it('given stories separated by blank lines, returns their sentences and skips # comments', () => {
    expect(parseStories('# c\nA b.\nC d.\n\n\nE f.\n')).to.deep.equal([['A b.', 'C d.'], ['E f.']]);
  });

  it('given LABEL<TAB>text lines, returns labelled rows', () => {
    expect(parseLabelled('# c\nPOSITIVE\tGood.\n\nNEGATIVE\t Bad. \n')).to.deep.equal([
      { label: 'POSITIVE', text: 'Good.' },
      { label: 'NEGATIVE', text: 'Bad.' },
    ]);
    expect(() => parseLabelled('no tab here')).to.throw(/LABEL<TAB>text/);
  });

  it('given ## topic headers, returns each sentence with its topic', () => {
    expect(parseTopics('# c\n## a\nOne.\n\n## b\nTwo.\nThree.')).to.deep.equal([
      { label: 'a', text: 'One.' },
      { label: 'b', text: 'Two.' },
      { label: 'b', text: 'Three.' },
    ]);
    expect(() => parseTopics('Orphan.')).to.throw(/before any/);
  });
});
