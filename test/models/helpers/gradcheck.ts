/**
 * Finite-difference gradient checks for the autograd ops: perturb sampled entries of each input by ±h,
 * compare the slope of a fixed random projection of the output with the analytic gradient.
 */
import { Tape, Tensor } from '../../../models/src/autograd/tensor.js';
import { Rng } from '../../../models/src/util/rng.js';

/** A leaf tensor with seeded normal values, wanting a gradient. */
export function leaf(rng: Rng, shape: number[], std = 1): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) data[i] = rng.normal() * std;
  return new Tensor(data, shape, true);
}

/** Σ out·r for fixed random r: turns any op output into a scalar whose gradient exercises every entry. */
function project(tape: Tape, out: Tensor, r: Float32Array): Tensor {
  let s = 0;
  for (let i = 0; i < out.size; i++) s += out.data[i]! * r[i]!;
  const y = new Tensor(Float32Array.of(s), [1], out.requiresGrad);
  return tape.record(y, () => {
    const g = out.g();
    for (let i = 0; i < g.length; i++) g[i] = g[i]! + r[i]! * y.g()[0]!;
  });
}

/**
 * Worst relative error between analytic and central-difference gradients over `samples` entries of
 * each input. Float32 storage limits agreement to about 1e-3 with h = 1e-2.
 */
export function gradError(build: (tape: Tape) => Tensor, inputs: Tensor[], samples = 12): number {
  const rng = new Rng(99);
  const probe = build(new Tape());
  const r = new Float32Array(probe.size);
  for (let i = 0; i < r.length; i++) r[i] = rng.normal();
  const f = (): number => project(new Tape(), build(new Tape()), r).data[0]!;
  for (const t of inputs) t.grad = null;
  const tape = new Tape();
  tape.backward(project(tape, build(tape), r));
  let worst = 0;
  const h = 1e-2;
  for (const t of inputs) {
    for (let s = 0; s < Math.min(samples, t.size); s++) {
      const i = (s * 7919 + 13) % t.size;
      const old = t.data[i]!;
      t.data[i] = old + h;
      const up = f();
      t.data[i] = old - h;
      const down = f();
      t.data[i] = old;
      const numeric = (up - down) / (2 * h);
      const analytic = t.grad?.[i] ?? 0;
      worst = Math.max(
        worst,
        Math.abs(numeric - analytic) / Math.max(1e-2, Math.abs(numeric) + Math.abs(analytic)),
      );
    }
  }
  return worst;
}
