import { expect } from 'chai';
import { halves, padRight, planRuns, RunCosts } from '../../../runtime/src/engine/batch.js';

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

describe('planRuns', () => {
  const table: { given: string; lengths: number[]; runCost: number; runs: number[][] }[] = [
    { given: 'an unknown run cost', lengths: [3, 9, 3], runCost: Infinity, runs: [[0, 1, 2]] },
    { given: 'one row', lengths: [7], runCost: 0, runs: [[0]] },
    { given: 'rows all of one length', lengths: [5, 5, 5], runCost: 0, runs: [[0, 1, 2]] },
    {
      given: 'free runs: one run per length, shortest first',
      lengths: [9, 3, 9, 5, 3],
      runCost: 0,
      runs: [[1, 4], [3], [0, 2]],
    },
    {
      // One run: 6 × 10 = 60. Split: 4 × 2 + 2 × 10 + 5 = 33.
      given: 'much padding saved for little run cost',
      lengths: [2, 10, 2, 2, 10, 2],
      runCost: 5,
      runs: [
        [0, 2, 3, 5],
        [1, 4],
      ],
    },
    {
      // One run: 4 × 10 = 40. Split: 3 × 9 + 10 + 20 = 57.
      given: 'little padding saved for a dear run',
      lengths: [9, 9, 10, 9],
      runCost: 20,
      runs: [[0, 1, 2, 3]],
    },
    {
      // [7,7,8,8] [9,10]: 4 × 8 + 2 × 10 + 2 × 3 = 58, cheaper than one run (60) or a run per length (63).
      given: 'lengths close together, a moderate run cost',
      lengths: [10, 8, 7, 9, 8, 7],
      runCost: 3,
      runs: [
        [2, 5, 1, 4],
        [3, 0],
      ],
    },
  ];
  for (const { given, lengths, runCost, runs } of table) {
    it(`given ${given}, plans ${JSON.stringify(runs)}`, () => {
      expect(planRuns(lengths, runCost)).to.deep.equal(runs);
    });
  }
});

describe('halves', () => {
  const table: { given: string; lengths: number[]; runs: number[][] }[] = [
    { given: 'one length', lengths: [4, 4, 4], runs: [[0, 1, 2]] },
    { given: 'two lengths', lengths: [9, 3, 9], runs: [[1], [0, 2]] },
    {
      given: 'four lengths, cut nearest the middle row (the first of two as near)',
      lengths: [7, 8, 10, 8, 9, 7],
      runs: [
        [0, 5],
        [1, 3, 4, 2],
      ],
    },
    {
      given: 'a long run of one length between two others',
      lengths: [5, 5, 5, 5, 6, 2],
      runs: [[5], [0, 1, 2, 3, 4]],
    },
  ];
  for (const { given, lengths, runs } of table) {
    it(`given ${given}, runs ${JSON.stringify(runs)}`, () => {
      expect(halves(lengths)).to.deep.equal(runs);
    });
  }
});

describe('RunCosts', () => {
  it('knows no fixed cost before it has seen runs of different sizes', () => {
    const costs = new RunCosts();
    for (let i = 0; i < 10; i++) costs.observe(320, 55);
    expect(costs.perRun).to.equal(Number.POSITIVE_INFINITY);
  });

  it('given runs that cost 2 ms plus 0.1 ms per token, says a run costs 20 tokens', () => {
    const costs = new RunCosts();
    for (const tokens of [10, 320, 80, 160, 40, 320]) costs.observe(tokens, 2 + 0.1 * tokens);
    expect(costs.perRun).to.be.closeTo(20, 1e-6);
  });

  it('given many runs of one size after those, keeps the estimate they gave', () => {
    const costs = new RunCosts();
    for (const tokens of [10, 320, 80]) costs.observe(tokens, 2 + 0.1 * tokens);
    for (let i = 0; i < 200; i++) costs.observe(320, 34);
    expect(costs.perRun).to.be.closeTo(20, 1e-6);
  });

  it('given run times that do not grow with tokens, does not guess', () => {
    const costs = new RunCosts();
    for (const tokens of [10, 320, 80, 160]) costs.observe(tokens, 1);
    expect(costs.perRun).to.equal(Number.POSITIVE_INFINITY);
  });

  it('given older runs, weighs the recent ones more: the estimate follows a change of machine', () => {
    const costs = new RunCosts(0.5);
    for (const tokens of [10, 320, 80, 160]) costs.observe(tokens, 2 + 0.1 * tokens);
    for (let i = 0; i < 30; i++)
      costs.observe([10, 320][i % 2] as number, 50 + 0.1 * ([10, 320][i % 2] as number));
    expect(costs.perRun).to.be.closeTo(500, 1);
  });
});
