import { expect } from 'chai';
import { createRandom } from '../../../runtime/src/engine/prng.js';
import { argmax, candidates, sampleToken } from '../../../runtime/src/engine/sampling.js';

const round = (xs: number[]) => xs.map((x) => Math.round(x * 1000) / 1000);

describe('sampling', () => {
  const argmaxCases: [number[], number][] = [
    [[0.1, 3, 2], 1],
    [[5, 5, 1], 0],
    [[-1, -2, -0.5], 2],
  ];
  for (const [logits, expected] of argmaxCases) {
    it(`given logits ${JSON.stringify(logits)}, argmax is ${expected} (lowest id on ties)`, () => {
      expect(argmax(logits)).to.equal(expected);
    });
  }

  const logits = [Math.log(0.1), Math.log(0.2), Math.log(0.3), Math.log(0.4)];
  const candidateCases: [string, { temperature: number; topK: number; topP: number }, number[], number[]][] =
    [
      ['no filters', { temperature: 1, topK: 0, topP: 1 }, [3, 2, 1, 0], [0.4, 0.3, 0.2, 0.1]],
      ['top_k 2', { temperature: 1, topK: 2, topP: 1 }, [3, 2], [0.571, 0.429]],
      ['top_p 0.6 (0.4 + 0.3 reaches it)', { temperature: 1, topK: 0, topP: 0.6 }, [3, 2], [0.571, 0.429]],
      ['top_p 0.3 (the best token alone reaches it)', { temperature: 1, topK: 0, topP: 0.3 }, [3], [1]],
      [
        'top_k larger than the vocabulary',
        { temperature: 1, topK: 10, topP: 1 },
        [3, 2, 1, 0],
        [0.4, 0.3, 0.2, 0.1],
      ],
      [
        'temperature 2 (flatter: probabilities ∝ sqrt p)',
        { temperature: 2, topK: 0, topP: 1 },
        [3, 2, 1, 0],
        [0.325, 0.282, 0.23, 0.163],
      ],
    ];
  for (const [given, options, ids, probs] of candidateCases) {
    it(`given ${given}, keeps ids ${JSON.stringify(ids)} with probabilities ${JSON.stringify(probs)}`, () => {
      const result = candidates(logits, options);
      expect(result.ids).to.deep.equal(ids);
      expect(round(result.probs)).to.deep.equal(probs);
    });
  }

  it('given random() = 0, picks the most likely candidate; just under 1, the least likely kept', () => {
    const options = { temperature: 1, topK: 0, topP: 1 };
    expect(sampleToken(logits, options, () => 0)).to.equal(3);
    expect(sampleToken(logits, options, () => 0.999999)).to.equal(0);
  });

  it('given the same seed, draws the same tokens; over many draws, follows the probabilities', () => {
    const options = { temperature: 1, topK: 0, topP: 1 };
    const drawAll = (seed: bigint) => {
      const random = createRandom(seed);
      return Array.from({ length: 4000 }, () => sampleToken(logits, options, random));
    };
    const draws = drawAll(3n);
    expect(drawAll(3n)).to.deep.equal(draws);
    const share = (id: number) => draws.filter((d) => d === id).length / draws.length;
    expect(share(3)).to.be.closeTo(0.4, 0.03);
    expect(share(0)).to.be.closeTo(0.1, 0.03);
  });
});
