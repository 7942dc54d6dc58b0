import { expect } from 'chai';
import { AdamW } from '../../../models/src/autograd/adam.js';
import { param } from '../../../models/src/autograd/tensor.js';
import { expectAllClose } from '../helpers/assert.js';

describe('AdamW', () => {
  it('warms up linearly, then decays by cosine to minLrRatio of the peak', () => {
    const opt = new AdamW([], { lr: 1, steps: 110, warmup: 10, minLrRatio: 0.1 });
    expect(opt.lrAt(0)).to.be.closeTo(0.1, 1e-12);
    expect(opt.lrAt(9)).to.be.closeTo(1, 1e-12);
    expect(opt.lrAt(10)).to.be.closeTo(1, 1e-12);
    expect(opt.lrAt(60)).to.be.closeTo(0.55, 1e-12);
    expect(opt.lrAt(110)).to.be.closeTo(0.1, 1e-12);
  });

  it('minimises a quadratic and clears gradients after each step', () => {
    const target = [3, -2, 0.5];
    const w = param('w', [3], new Float32Array(3));
    const opt = new AdamW([w], { lr: 0.1, steps: 300, clip: 100 });
    for (let s = 0; s < 300; s++) {
      const g = w.t.g();
      for (let i = 0; i < 3; i++) g[i] = 2 * (w.t.data[i]! - target[i]!);
      opt.step();
      expect(w.t.grad).to.equal(null);
    }
    expectAllClose(w.t.data, target, 0.05, 'w');
  });

  it('decays weights but not parameters named like biases, norms or embeddings', () => {
    const weight = param('dense.weight', [1], Float32Array.of(1));
    const bias = param('dense.bias', [1], Float32Array.of(1));
    const opt = new AdamW([weight, bias], { lr: 0.1, steps: 1, weightDecay: 0.5 });
    weight.t.g();
    bias.t.g();
    opt.step();
    expect(weight.t.data[0]).to.be.closeTo(0.95, 1e-6);
    expect(bias.t.data[0]).to.equal(1);
  });
});
