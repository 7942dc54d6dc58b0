import { expect } from 'chai';
import { createRandom } from '../../../runtime/src/engine/prng.js';
import {
  adjustLogits,
  argmax,
  candidates,
  type LogitAdjustments,
  type SamplingOptions,
  sampleToken,
  stepLogprobs,
  topIds,
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

/** The candidates by a sort of the whole vocabulary (the implementation before the bounded selection). */
function referenceCandidates(logits: ArrayLike<number>, options: SamplingOptions) {
  const order = Array.from({ length: logits.length }, (_, i) => i).sort(
    (a, b) => (logits[b] as number) - (logits[a] as number) || a - b,
  );
  const kept = options.topK > 0 ? order.slice(0, Math.min(options.topK, order.length)) : order;
  const max = logits[kept[0] as number] as number;
  const weights = kept.map((id) => Math.exp(((logits[id] as number) - max) / options.temperature));
  const total = weights.reduce((sum, w) => sum + w, 0);
  const probs = weights.map((w) => w / total);
  let cut = probs.length;
  if (options.topP < 1) {
    let cumulative = 0;
    for (let i = 0; i < probs.length; i++) {
      cumulative += probs[i] as number;
      if (cumulative >= options.topP) {
        cut = i + 1;
        break;
      }
    }
  }
  const keptTotal = probs.slice(0, cut).reduce((sum, p) => sum + p, 0);
  return { ids: kept.slice(0, cut), probs: probs.slice(0, cut).map((p) => p / keptTotal) };
}

function referenceSample(logits: ArrayLike<number>, options: SamplingOptions, random: () => number) {
  const { ids, probs } = referenceCandidates(logits, options);
  let u = random();
  for (let i = 0; i < ids.length; i++) {
    u -= probs[i] as number;
    if (u < 0) return ids[i] as number;
  }
  return ids[ids.length - 1] as number;
}

/** Normal logits with `spread`, rounded to quarters so that many tie. */
function randomLogits(size: number, spread: number, random: () => number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
    out[i] = Math.round(normal * spread * 4) / 4;
  }
  return out;
}

/** `logits` that count how often they are read. */
function counted(logits: Float32Array): { view: ArrayLike<number>; reads(): number } {
  let reads = 0;
  const view = new Proxy(logits, {
    get(target, key) {
      if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
      return Reflect.get(target, key);
    },
  });
  return { view, reads: () => reads };
}

describe('candidates without a sort of the vocabulary', () => {
  const settings: SamplingOptions[] = [
    { temperature: 1, topK: 1, topP: 1 },
    { temperature: 0.7, topK: 20, topP: 0.8 },
    { temperature: 1, topK: 50, topP: 0.9 },
    { temperature: 1.3, topK: 50, topP: 1 },
    { temperature: 1, topK: 5000, topP: 0.95 },
    { temperature: 1, topK: 0, topP: 0.9 },
    { temperature: 0.5, topK: 0, topP: 0.5 },
    { temperature: 2, topK: 0, topP: 0.99 },
    { temperature: 1, topK: 0, topP: 1 },
  ];
  const shapes: [number, number][] = [
    [1, 1],
    [7, 1],
    [500, 0.2],
    [3000, 1],
    [3000, 3],
  ];
  for (const options of settings) {
    for (const [size, spread] of shapes) {
      it(`given ${size} logits (spread ${spread}, ties) and ${JSON.stringify(options)}, gives the full sort's candidates`, () => {
        const random = createRandom(BigInt(size * 10 + Math.round(spread * 10)));
        for (let trial = 0; trial < 3; trial++) {
          const logits = randomLogits(size, spread, random);
          const expected = referenceCandidates(logits, options);
          const actual = candidates(logits, options);
          expect(actual.ids).to.deep.equal(expected.ids);
          if (options.topK > 0) expect(actual.probs).to.deep.equal(expected.probs);
          else {
            // Top-p alone sums the softmax in id order, not rank order: equal to the last bits.
            expect(actual.probs.length).to.equal(expected.probs.length);
            for (const [i, p] of actual.probs.entries()) {
              expect(p).to.be.closeTo(expected.probs[i] as number, 1e-12);
            }
          }
        }
      });
    }
  }

  for (const options of settings) {
    it(`given a fixed seed and ${JSON.stringify(options)}, sampleToken draws the ids the full sort drew`, () => {
      const logits = randomLogits(2000, 2, createRandom(11n));
      const seeded = createRandom(5n);
      const reference = createRandom(5n);
      for (let draw = 0; draw < 200; draw++) {
        expect(sampleToken(logits, options, seeded)).to.equal(referenceSample(logits, options, reference));
      }
    });
  }

  it('given -Infinity logits (masked tokens), ranks them last and never draws them', () => {
    const logits = Float32Array.from([1, Number.NEGATIVE_INFINITY, 2, Number.NEGATIVE_INFINITY, 2]);
    const options = { temperature: 1, topK: 0, topP: 1 };
    expect(candidates(logits, options).ids).to.deep.equal([2, 4, 0, 1, 3]);
    const random = createRandom(1n);
    for (let i = 0; i < 100; i++) expect([0, 2, 4]).to.include(sampleToken(logits, options, random));
  });

  it('given top-k, topIds agrees with the full sort for every k', () => {
    const logits = randomLogits(300, 0.5, createRandom(2n));
    const order = referenceCandidates(logits, { temperature: 1, topK: 0, topP: 1 }).ids;
    for (const k of [0, 1, 2, 17, 299, 300, 400]) expect(topIds(logits, k)).to.deep.equal(order.slice(0, k));
  });

  // The vocabulary is read a few times over, never V log V times (a sort of 20,000 reads it ~600,000 times).
  const readCases: [string, SamplingOptions][] = [
    ['top_k 50, top_p 0.9', { temperature: 1, topK: 50, topP: 0.9 }],
    ['top_k 0, top_p 0.9', { temperature: 1, topK: 0, topP: 0.9 }],
    ['top_k 0, top_p 1 (sampleToken)', { temperature: 1, topK: 0, topP: 1 }],
  ];
  for (const [name, options] of readCases) {
    it(`given 20,000 peaked logits and ${name}, reads each logit fewer than 10 times`, () => {
      const logits = randomLogits(20_000, 3, createRandom(9n));
      const { view, reads } = counted(logits);
      if (options.topP >= 1) sampleToken(view, options, () => 0.5);
      else candidates(view, options);
      expect(reads()).to.be.below(10 * logits.length);
    });
  }
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
