import { expect } from 'chai';
import { causalSelfAttention } from '../../../models/src/autograd/attention.js';
import {
  crossEntropy,
  l2Normalize,
  meanPool,
  scale,
  softCrossEntropy,
} from '../../../models/src/autograd/losses.js';
import { add, embedding, gelu, layerNorm, linear, matmulBT, tanh } from '../../../models/src/autograd/ops.js';
import { Tape, Tensor } from '../../../models/src/autograd/tensor.js';
import { gpt2Loss, initGpt2 } from '../../../models/src/story-writer/model.js';
import { Rng } from '../../../models/src/util/rng.js';
import { gradError, leaf } from '../helpers/gradcheck.js';

const TOLERANCE = 2e-2;

interface Case {
  name: string;
  make: (rng: Rng) => { inputs: Tensor[]; build: (tape: Tape) => Tensor };
}

const CASES: Case[] = [
  {
    name: 'embedding (repeated ids accumulate)',
    make: (rng) => {
      const table = leaf(rng, [5, 3]);
      return { inputs: [table], build: (t) => embedding(t, table, Int32Array.from([4, 0, 4, 2])) };
    },
  },
  {
    name: 'add',
    make: (rng) => {
      const [a, b] = [leaf(rng, [3, 4]), leaf(rng, [3, 4])];
      return { inputs: [a, b], build: (t) => add(t, a, b) };
    },
  },
  {
    name: 'linear with bias (ragged 5x7 · 7x6)',
    make: (rng) => {
      const [x, w, b] = [leaf(rng, [5, 7]), leaf(rng, [7, 6]), leaf(rng, [6])];
      return { inputs: [x, w, b], build: (t) => linear(t, x, w, b) };
    },
  },
  {
    name: 'linear without bias',
    make: (rng) => {
      const [x, w] = [leaf(rng, [4, 3]), leaf(rng, [3, 9])];
      return { inputs: [x, w], build: (t) => linear(t, x, w, null) };
    },
  },
  {
    name: 'matmulBT (tied head)',
    make: (rng) => {
      const [x, w] = [leaf(rng, [3, 5]), leaf(rng, [7, 5])];
      return { inputs: [x, w], build: (t) => matmulBT(t, x, w) };
    },
  },
  {
    name: 'layerNorm',
    make: (rng) => {
      const [x, g, b] = [leaf(rng, [3, 6]), leaf(rng, [6]), leaf(rng, [6])];
      return { inputs: [x, g, b], build: (t) => layerNorm(t, x, g, b) };
    },
  },
  {
    name: 'gelu',
    make: (rng) => {
      const x = leaf(rng, [4, 5], 2);
      return { inputs: [x], build: (t) => gelu(t, x) };
    },
  },
  {
    name: 'tanh',
    make: (rng) => {
      const x = leaf(rng, [4, 5]);
      return { inputs: [x], build: (t) => tanh(t, x) };
    },
  },
  {
    name: 'causal self-attention (2 sequences, 3 heads)',
    make: (rng) => {
      const qkv = leaf(rng, [2 * 4, 3 * 6]);
      return { inputs: [qkv], build: (t) => causalSelfAttention(t, qkv, { batch: 2, seq: 4, heads: 3 }) };
    },
  },
  {
    name: 'causal self-attention with ALiBi slopes',
    make: (rng) => {
      const qkv = leaf(rng, [2 * 4, 3 * 6]);
      const dims = { batch: 2, seq: 4, heads: 3, slopes: [1, 0.5, 0.25] };
      return { inputs: [qkv], build: (t) => causalSelfAttention(t, qkv, dims) };
    },
  },
  {
    name: 'crossEntropy (a -1 target is skipped)',
    make: (rng) => {
      const z = leaf(rng, [4, 5]);
      return { inputs: [z], build: (t) => crossEntropy(t, z, Int32Array.from([1, -1, 4, 0])) };
    },
  },
  {
    name: 'softCrossEntropy with a diagonal mask',
    make: (rng) => {
      const z = leaf(rng, [3, 3]);
      const targets = Float32Array.from([0, 0.5, 0.5, 1, 0, 0, 0, 1, 0]);
      const mask = Float32Array.from([-1e9, 0, 0, 0, -1e9, 0, 0, 0, -1e9]);
      return { inputs: [z], build: (t) => softCrossEntropy(t, z, targets, mask) };
    },
  },
  {
    name: 'meanPool over packed segments',
    make: (rng) => {
      const x = leaf(rng, [6, 3]);
      return { inputs: [x], build: (t) => meanPool(t, x, Int32Array.from([0, 2, 3, 6])) };
    },
  },
  {
    name: 'l2Normalize',
    make: (rng) => {
      const x = leaf(rng, [3, 4]);
      return { inputs: [x], build: (t) => l2Normalize(t, x) };
    },
  },
  {
    name: 'scale',
    make: (rng) => {
      const x = leaf(rng, [2, 3]);
      return { inputs: [x], build: (t) => scale(t, x, -3) };
    },
  },
];

describe('autograd ops: analytic gradients match central differences', () => {
  for (const c of CASES) {
    it(`given ${c.name}, returns gradients within ${TOLERANCE}`, () => {
      const { inputs, build } = c.make(new Rng(7));
      expect(gradError(build, inputs)).to.be.below(TOLERANCE);
    });
  }

  it('given a whole 2-layer GPT-2 loss, returns gradients within tolerance for every parameter', () => {
    const cfg = { nLayer: 2, nHead: 2, nEmbd: 8, nPositions: 5, vocabSize: 11 };
    const rng = new Rng(3);
    const p = initGpt2(cfg, rng);
    // Larger weights than the init so every path carries a measurable gradient.
    for (const q of p.all) for (let i = 0; i < q.t.size; i++) q.t.data[i] = q.t.data[i]! + rng.normal() * 0.3;
    const ids = Int32Array.from([1, 4, 2, 7, 3, 9, 0, 5, 5, 10]);
    const targets = Int32Array.from([4, 2, 7, 3, 9, 0, 5, 5, 10, -1]);
    const build = (t: Tape): Tensor => gpt2Loss(t, p, cfg, { ids, batch: 2, seq: 5 }, targets);
    expect(
      gradError(
        build,
        p.all.map((q) => q.t),
        3,
      ),
    ).to.be.below(TOLERANCE);
  });

  it('given an input that needs no gradient, never allocates one for it', () => {
    const w = leaf(new Rng(1), [3, 2]);
    const x = new Tensor(Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const t = new Tape();
    t.backward(crossEntropy(t, linear(t, x, w, null), Int32Array.from([0, 1])));
    expect(w.grad).to.not.equal(null);
    expect(x.grad).to.equal(null);
  });
});
