import { expect } from 'chai';
import { createRandom } from '../../../runtime/src/engine/prng.js';
import {
  adjustLogits,
  argmax,
  candidates,
  type LogitAdjustments,
  sampleToken,
  stepLogprobs,
} from '../../../runtime/src/engine/sampling.js';

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

describe('adjustLogits', () => {
  const none: LogitAdjustments = {
    logitBias: new Map(),
    repetitionPenalty: 1,
    presencePenalty: 0,
    frequencyPenalty: 0,
  };
  const logits = Float32Array.from([2, -2, 1, 0.5]);
  // Token 0 generated twice, token 1 once; token 2 only in the prompt.
  const history = {
    seen: new Set([0, 1, 2]),
    generated: new Map([
      [0, 2],
      [1, 1],
    ]),
  };
  const cases: [string, Partial<LogitAdjustments>, number[]][] = [
    ['nothing', {}, [2, -2, 1, 0.5]],
    [
      'logit_bias +100 on 3 and -100 on 0',
      {
        logitBias: new Map([
          [3, 100],
          [0, -100],
        ]),
      },
      [-98, -2, 1, 100.5],
    ],
    // transformers: positive logits divided, negative multiplied, over prompt and output.
    ['repetition_penalty 2', { repetitionPenalty: 2 }, [1, -4, 0.5, 0.5]],
    ['repetition_penalty 0.5 (encourages repeats)', { repetitionPenalty: 0.5 }, [4, -1, 2, 0.5]],
    // OpenAI: logit - count * frequency - (count > 0) * presence, over the output only.
    ['presence_penalty 1', { presencePenalty: 1 }, [1, -3, 1, 0.5]],
    ['frequency_penalty 0.5', { frequencyPenalty: 0.5 }, [1, -2.5, 1, 0.5]],
    ['frequency -1 and presence 2', { frequencyPenalty: -1, presencePenalty: 2 }, [2, -3, 1, 0.5]],
    [
      'bias first, then the repetition penalty (vLLM order)',
      { logitBias: new Map([[1, 4]]), repetitionPenalty: 2 },
      [1, 1, 0.5, 0.5],
    ],
  ];
  for (const [given, adjustments, expected] of cases) {
    it(`given ${given}, gives ${JSON.stringify(expected)}`, () => {
      const out = adjustLogits(logits, { ...none, ...adjustments }, history);
      expect(Array.from(out)).to.deep.equal(expected);
      expect(Array.from(logits), 'the input is left as it was').to.deep.equal([2, -2, 1, 0.5]);
    });
  }
});

describe('stepLogprobs', () => {
  const logits = [Math.log(0.1), Math.log(0.2), Math.log(0.3), Math.log(0.4)].map((l) => l + 7);
  const cases: [number, number, number, [number, number][]][] = [
    [3, 0, Math.log(0.4), []],
    [
      0,
      2,
      Math.log(0.1),
      [
        [3, Math.log(0.4)],
        [2, Math.log(0.3)],
      ],
    ],
    [
      1,
      10,
      Math.log(0.2),
      [
        [3, Math.log(0.4)],
        [2, Math.log(0.3)],
        [1, Math.log(0.2)],
        [0, Math.log(0.1)],
      ],
    ],
  ];
  for (const [chosen, top, logprob, alternatives] of cases) {
    it(`given token ${chosen} and top ${top}, reports ${logprob.toFixed(3)} and ${alternatives.length} alternatives`, () => {
      const result = stepLogprobs(logits, chosen, top);
      expect(result.chosen.id).to.equal(chosen);
      expect(result.chosen.logprob).to.be.closeTo(logprob, 1e-9);
      expect(result.top.map((t) => t.id)).to.deep.equal(alternatives.map(([id]) => id));
      for (const [i, t] of result.top.entries()) {
        expect(t.logprob).to.be.closeTo(alternatives[i]?.[1] as number, 1e-9);
      }
    });
  }

  it('given ties, ranks the lower id first', () => {
    expect(stepLogprobs([1, 5, 5, 1], 1, 3).top.map((t) => t.id)).to.deep.equal([1, 2, 0]);
  });
});
