/**
 * AdamW with linear warm-up, cosine decay and global-norm gradient clipping: the usual recipe, which
 * lets these tiny models converge in a few hundred steps without tuning per model.
 * @module
 */
import type { Param } from './tensor.js';

export interface AdamOptions {
  readonly lr: number;
  readonly steps: number;
  readonly warmup?: number;
  /** Final learning rate as a fraction of the peak. */
  readonly minLrRatio?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly weightDecay?: number;
  readonly clip?: number;
  /** Parameters whose names match are not decayed (biases, norms, embeddings by convention). */
  readonly noDecay?: RegExp;
}

export class AdamW {
  readonly #params: readonly Param[];
  readonly #m: Float32Array[];
  readonly #v: Float32Array[];
  readonly #opts: Required<AdamOptions>;
  #step = 0;

  constructor(params: readonly Param[], opts: AdamOptions) {
    this.#params = params;
    this.#m = params.map((p) => new Float32Array(p.t.size));
    this.#v = params.map((p) => new Float32Array(p.t.size));
    this.#opts = {
      warmup: 0,
      minLrRatio: 0.1,
      beta1: 0.9,
      beta2: 0.99,
      weightDecay: 0,
      clip: 1,
      noDecay: /(bias|ln|norm|emb|wte|wpe)/,
      ...opts,
    };
  }

  /** Learning rate at a 0-based step. */
  lrAt(step: number): number {
    const { lr, steps, warmup, minLrRatio } = this.#opts;
    if (step < warmup) return (lr * (step + 1)) / warmup;
    const progress = Math.min(1, (step - warmup) / Math.max(1, steps - warmup));
    return lr * (minLrRatio + (1 - minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * progress)));
  }

  /** Applies one update from the accumulated gradients, then clears them. */
  step(): void {
    const o = this.#opts;
    const lr = this.lrAt(this.#step);
    this.#step++;
    const bc1 = 1 - o.beta1 ** this.#step;
    const bc2 = 1 - o.beta2 ** this.#step;
    const clipScale = this.#clipScale();
    this.#params.forEach((p, idx) => {
      const g = p.t.grad;
      if (!g) return;
      const w = p.t.data;
      const m = this.#m[idx]!;
      const v = this.#v[idx]!;
      const decay = o.noDecay.test(p.name) ? 0 : o.weightDecay;
      for (let i = 0; i < w.length; i++) {
        const gi = g[i]! * clipScale;
        m[i] = o.beta1 * m[i]! + (1 - o.beta1) * gi;
        v[i] = o.beta2 * v[i]! + (1 - o.beta2) * gi * gi;
        const update = m[i]! / bc1 / (Math.sqrt(v[i]! / bc2) + 1e-8);
        w[i] = w[i]! - lr * (update + decay * w[i]!);
      }
      p.t.grad = null;
    });
  }

  #clipScale(): number {
    let ss = 0;
    for (const p of this.#params) {
      const g = p.t.grad;
      if (!g) continue;
      for (let i = 0; i < g.length; i++) ss += g[i]! * g[i]!;
    }
    const norm = Math.sqrt(ss);
    return norm > this.#opts.clip ? this.#opts.clip / norm : 1;
  }
}
