import { expect } from 'chai';
import { padRight } from '../../../runtime/src/engine/batch.js';

describe('padRight', () => {
  it('given rows of different lengths, pads on the right with the pad id and masks the padding', () => {
    const batch = padRight(
      [
        [101, 7, 102],
        [101, 102],
      ],
      0,
    );
    expect(batch.batch).to.equal(2);
    expect(batch.length).to.equal(3);
    expect(Array.from(batch.inputIds)).to.deep.equal([101n, 7n, 102n, 101n, 102n, 0n]);
    expect(Array.from(batch.attentionMask)).to.deep.equal([1n, 1n, 1n, 1n, 1n, 0n]);
    expect(Array.from(batch.tokenTypeIds)).to.deep.equal([0n, 0n, 0n, 0n, 0n, 0n]);
  });

  it('given a non-zero pad id, uses it', () => {
    expect(Array.from(padRight([[5], [5, 6]], 9).inputIds)).to.deep.equal([5n, 9n, 5n, 6n]);
  });
});
