import { expect } from 'chai';
import { l2Normalize, meanPool, softmax } from '../../../runtime/src/engine/vectors.js';

const round = (xs: number[]) => xs.map((x) => Math.round(x * 1e4) / 1e4);

describe('vector helpers', () => {
  const softmaxCases: [number[], number[]][] = [
    [
      [0, 0],
      [0.5, 0.5],
    ],
    [
      [1000, 1000, 1000, 1000],
      [0.25, 0.25, 0.25, 0.25],
    ],
    [
      [Math.log(1), Math.log(3)],
      [0.25, 0.75],
    ],
  ];
  for (const [logits, expected] of softmaxCases) {
    it(`given logits ${JSON.stringify(logits)}, softmax is ${JSON.stringify(expected)} (stable for large values)`, () => {
      expect(round(softmax(logits))).to.deep.equal(expected);
    });
  }

  it('given a mask, averages only the unmasked positions', () => {
    // three positions of dim 2; the last is padding
    expect(meanPool([1, 2, 3, 4, 100, 100], [1n, 1n, 0n], 2)).to.deep.equal([2, 3]);
  });

  it('given an all-zero mask, returns a zero vector', () => {
    expect(meanPool([1, 2], [0], 2)).to.deep.equal([0, 0]);
  });

  const normCases: [number[], number[]][] = [
    [
      [3, 4],
      [0.6, 0.8],
    ],
    [
      [0, 0],
      [0, 0],
    ],
  ];
  for (const [vector, expected] of normCases) {
    it(`given ${JSON.stringify(vector)}, normalises to ${JSON.stringify(expected)}`, () => {
      expect(l2Normalize(vector)).to.deep.equal(expected);
    });
  }
});
