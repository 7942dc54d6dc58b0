/**
 * A minimal reverse-mode autograd: tensors are flat Float32Arrays with a shape, and a Tape records one
 * closure per op that pushes the output's gradient back into its inputs. Ops are coarse (a whole linear
 * layer, a whole attention block), so the tape stays short and the time goes into the kernels.
 * @module
 */
import type { Rng } from '../util/rng.js';

export class Tensor {
  /** Allocated on first use, so constants and frozen inputs never pay for a gradient buffer. */
  grad: Float32Array | null = null;

  constructor(
    readonly data: Float32Array,
    readonly shape: readonly number[],
    readonly requiresGrad = false,
  ) {
    const size = shape.reduce((a, b) => a * b, 1);
    if (size !== data.length)
      throw new Error(`shape [${shape.join(',')}] does not match ${data.length} values`);
  }

  get size(): number {
    return this.data.length;
  }

  /** The gradient buffer, created zeroed when missing. */
  g(): Float32Array {
    this.grad ??= new Float32Array(this.data.length);
    return this.grad;
  }
}

/** Records backward closures in forward order and replays them in reverse. */
export class Tape {
  readonly #steps: (() => void)[] = [];

  /** Adds an op's output; its backward runs only when the output can carry a gradient. */
  record(out: Tensor, backward: () => void): Tensor {
    if (out.requiresGrad) this.#steps.push(backward);
    return out;
  }

  backward(loss: Tensor): void {
    if (loss.size !== 1) throw new Error('backward() needs a scalar loss');
    loss.g()[0] = 1;
    for (let i = this.#steps.length - 1; i >= 0; i--) this.#steps[i]!();
  }
}

/** A named trainable tensor. */
export interface Param {
  readonly name: string;
  readonly t: Tensor;
}

export function param(name: string, shape: readonly number[], values: Float32Array): Param {
  return { name, t: new Tensor(values, shape, true) };
}

/** Normal(0, std) initial values from the seeded generator. */
export function normalInit(rng: Rng, size: number, std: number): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
  return out;
}

export function filled(size: number, value: number): Float32Array {
  return new Float32Array(size).fill(value);
}

export function countParams(params: readonly Param[]): number {
  return params.reduce((n, p) => n + p.t.size, 0);
}

/** True when any input wants a gradient, so the output must too. */
export function anyGrad(...inputs: Tensor[]): boolean {
  return inputs.some((t) => t.requiresGrad);
}
