/**
 * Differentiable dense ops on 2-D tensors ([rows, cols], row-major). Each op computes its output, then
 * records the closure that adds the output gradient into the gradients of inputs that require one.
 * @module
 */
import { gemm, gemmAT, gemmBT } from './kernels.js';
import { anyGrad, type Tape, Tensor } from './tensor.js';

function rowsCols(t: Tensor): [number, number] {
  if (t.shape.length !== 2) throw new Error(`expected a 2-D tensor, got [${t.shape.join(',')}]`);
  return [t.shape[0]!, t.shape[1]!];
}

/** Rows of `table` picked by `ids`; the gradient scatters back into the picked rows. */
export function embedding(tape: Tape, table: Tensor, ids: Int32Array): Tensor {
  const [V, E] = rowsCols(table);
  const out = new Float32Array(ids.length * E);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n]!;
    if (id < 0 || id >= V) throw new Error(`id ${id} outside the table of ${V} rows`);
    out.set(table.data.subarray(id * E, id * E + E), n * E);
  }
  const y = new Tensor(out, [ids.length, E], table.requiresGrad);
  return tape.record(y, () => {
    const g = table.g();
    const gy = y.g();
    for (let n = 0; n < ids.length; n++) {
      const to = ids[n]! * E;
      const from = n * E;
      for (let e = 0; e < E; e++) g[to + e] = g[to + e]! + gy[from + e]!;
    }
  });
}

export function add(tape: Tape, a: Tensor, b: Tensor): Tensor {
  if (a.size !== b.size) throw new Error('add() needs equal sizes');
  const out = new Float32Array(a.size);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i]! + b.data[i]!;
  const y = new Tensor(out, a.shape, anyGrad(a, b));
  return tape.record(y, () => {
    const gy = y.g();
    for (const t of [a, b]) {
      if (!t.requiresGrad) continue;
      const g = t.g();
      for (let i = 0; i < g.length; i++) g[i] = g[i]! + gy[i]!;
    }
  });
}

/** x[M,K] · w[K,N] + bias[N]; the weight layout is the one ONNX MatMul takes, so export is a copy. */
export function linear(tape: Tape, x: Tensor, w: Tensor, bias: Tensor | null): Tensor {
  const [M, K] = rowsCols(x);
  const [K2, N] = rowsCols(w);
  if (K !== K2) throw new Error(`linear: ${K} inputs but weight has ${K2} rows`);
  const out = new Float32Array(M * N);
  if (bias) for (let m = 0; m < M; m++) out.set(bias.data, m * N);
  gemm(x.data, w.data, out, [M, K, N]);
  const y = new Tensor(out, [M, N], anyGrad(x, w, ...(bias ? [bias] : [])));
  return tape.record(y, () => {
    const gy = y.g();
    if (x.requiresGrad) gemmBT(gy, w.data, x.g(), [M, N, K]);
    if (w.requiresGrad) gemmAT(x.data, gy, w.g(), [M, K, N]);
    if (bias?.requiresGrad) {
      const gb = bias.g();
      for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) gb[n] = gb[n]! + gy[m * N + n]!;
    }
  });
}

/** x[M,K] · w[N,K]ᵀ: the tied LM head (w is the token embedding table) and similarity matrices. */
export function matmulBT(tape: Tape, x: Tensor, w: Tensor): Tensor {
  const [M, K] = rowsCols(x);
  const [N, K2] = rowsCols(w);
  if (K !== K2) throw new Error(`matmulBT: ${K} vs ${K2} columns`);
  const out = new Float32Array(M * N);
  gemmBT(x.data, w.data, out, [M, K, N]);
  const y = new Tensor(out, [M, N], anyGrad(x, w));
  return tape.record(y, () => {
    const gy = y.g();
    if (x.requiresGrad) gemm(gy, w.data, x.g(), [M, N, K]);
    if (w.requiresGrad) gemmAT(gy, x.data, w.g(), [M, N, K]);
  });
}

/** LayerNorm over the last axis with ONNX's default epsilon semantics (biased variance). */
export function layerNorm(tape: Tape, x: Tensor, gamma: Tensor, beta: Tensor, eps = 1e-5): Tensor {
  const [M, E] = rowsCols(x);
  const out = new Float32Array(M * E);
  const xhat = new Float32Array(M * E);
  const rstd = new Float64Array(M);
  for (let m = 0; m < M; m++) {
    const o = m * E;
    let mean = 0;
    for (let e = 0; e < E; e++) mean += x.data[o + e]!;
    mean /= E;
    let v = 0;
    for (let e = 0; e < E; e++) v += (x.data[o + e]! - mean) ** 2;
    const r = 1 / Math.sqrt(v / E + eps);
    rstd[m] = r;
    for (let e = 0; e < E; e++) {
      const h = (x.data[o + e]! - mean) * r;
      xhat[o + e] = h;
      out[o + e] = h * gamma.data[e]! + beta.data[e]!;
    }
  }
  const y = new Tensor(out, [M, E], anyGrad(x, gamma, beta));
  return tape.record(y, () => layerNormBackward({ x, gamma, beta, y, xhat, rstd }));
}

interface LayerNormSaved {
  x: Tensor;
  gamma: Tensor;
  beta: Tensor;
  y: Tensor;
  xhat: Float32Array;
  rstd: Float64Array;
}

function layerNormBackward(s: LayerNormSaved): void {
  const [M, E] = rowsCols(s.x);
  const gy = s.y.g();
  const gg = s.gamma.requiresGrad ? s.gamma.g() : null;
  const gbeta = s.beta.requiresGrad ? s.beta.g() : null;
  const gx = s.x.requiresGrad ? s.x.g() : null;
  for (let m = 0; m < M; m++) {
    const o = m * E;
    let sumD = 0;
    let sumDX = 0;
    for (let e = 0; e < E; e++) {
      const d = gy[o + e]! * s.gamma.data[e]!;
      sumD += d;
      sumDX += d * s.xhat[o + e]!;
      if (gg) gg[e] = gg[e]! + gy[o + e]! * s.xhat[o + e]!;
      if (gbeta) gbeta[e] = gbeta[e]! + gy[o + e]!;
    }
    if (!gx) continue;
    const r = s.rstd[m]!;
    for (let e = 0; e < E; e++) {
      const d = gy[o + e]! * s.gamma.data[e]!;
      gx[o + e] = gx[o + e]! + r * (d - sumD / E - (s.xhat[o + e]! * sumDX) / E);
    }
  }
}

const GELU_C = Math.sqrt(2 / Math.PI);

/** GELU, tanh form (GPT-2's "gelu_new"): exact in ONNX opset 17, which has Tanh but no Gelu op. */
export function gelu(tape: Tape, x: Tensor): Tensor {
  const out = new Float32Array(x.size);
  const t = new Float32Array(x.size);
  for (let i = 0; i < out.length; i++) {
    const v = x.data[i]!;
    const th = Math.tanh(GELU_C * (v + 0.044715 * v * v * v));
    t[i] = th;
    out[i] = 0.5 * v * (1 + th);
  }
  const y = new Tensor(out, x.shape, x.requiresGrad);
  return tape.record(y, () => {
    const gx = x.g();
    const gy = y.g();
    for (let i = 0; i < gx.length; i++) {
      const v = x.data[i]!;
      const th = t[i]!;
      const d = 0.5 * (1 + th) + 0.5 * v * (1 - th * th) * GELU_C * (1 + 3 * 0.044715 * v * v);
      gx[i] = gx[i]! + gy[i]! * d;
    }
  });
}

export function tanh(tape: Tape, x: Tensor): Tensor {
  const out = new Float32Array(x.size);
  for (let i = 0; i < out.length; i++) out[i] = Math.tanh(x.data[i]!);
  const y = new Tensor(out, x.shape, x.requiresGrad);
  return tape.record(y, () => {
    const gx = x.g();
    const gy = y.g();
    for (let i = 0; i < gx.length; i++) gx[i] = gx[i]! + gy[i]! * (1 - out[i]! * out[i]!);
  });
}
