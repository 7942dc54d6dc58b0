/**
 * Losses and sequence pooling: the ops that turn per-token activations into one number to minimise.
 * @module
 */
import { type Tape, Tensor } from './tensor.js';

function rowsCols(t: Tensor): [number, number] {
  if (t.shape.length !== 2) throw new Error(`expected a 2-D tensor, got [${t.shape.join(',')}]`);
  return [t.shape[0]!, t.shape[1]!];
}

/** Row-wise softmax of `z` (+ an optional additive mask) into `p`. */
function softmaxRow(z: Float32Array, o: number, C: number, mask: Float32Array | null, p: Float64Array): void {
  let max = Number.NEGATIVE_INFINITY;
  for (let c = 0; c < C; c++) {
    const v = z[o + c]! + (mask ? mask[o + c]! : 0);
    p[c] = v;
    if (v > max) max = v;
  }
  let sum = 0;
  for (let c = 0; c < C; c++) {
    const e = Math.exp(p[c]! - max);
    p[c] = e;
    sum += e;
  }
  for (let c = 0; c < C; c++) p[c] = p[c]! / sum;
}

/**
 * Mean cross-entropy of rows of `logits` against integer targets. The softmax is kept (as float32) so
 * backward is one subtraction; a target of -1 skips its row.
 */
export function crossEntropy(tape: Tape, logits: Tensor, targets: Int32Array): Tensor {
  const [N, C] = rowsCols(logits);
  const probs = new Float32Array(N * C);
  const p = new Float64Array(C);
  let loss = 0;
  let count = 0;
  for (let n = 0; n < N; n++) {
    const t = targets[n]!;
    if (t < 0) continue;
    softmaxRow(logits.data, n * C, C, null, p);
    for (let c = 0; c < C; c++) probs[n * C + c] = p[c]!;
    loss -= Math.log(Math.max(p[t]!, 1e-30));
    count++;
  }
  const y = new Tensor(Float32Array.of(loss / Math.max(count, 1)), [1], logits.requiresGrad);
  return tape.record(y, () => {
    const g = logits.g();
    const scale = y.g()[0]! / Math.max(count, 1);
    for (let n = 0; n < N; n++) {
      const t = targets[n]!;
      if (t < 0) continue;
      for (let c = 0; c < C; c++) {
        const i = n * C + c;
        g[i] = g[i]! + scale * (probs[i]! - (c === t ? 1 : 0));
      }
    }
  });
}

/**
 * Mean over rows of -Σ_c target[n,c] · log softmax(logits[n] + mask[n])_c. With targets spread evenly
 * over a row's positives and -1e9 on the diagonal of the mask, this is the supervised contrastive loss.
 */
export function softCrossEntropy(
  tape: Tape,
  logits: Tensor,
  targets: Float32Array,
  mask: Float32Array | null,
): Tensor {
  const [N, C] = rowsCols(logits);
  const probs = new Float32Array(N * C);
  const p = new Float64Array(C);
  let loss = 0;
  for (let n = 0; n < N; n++) {
    softmaxRow(logits.data, n * C, C, mask, p);
    for (let c = 0; c < C; c++) {
      probs[n * C + c] = p[c]!;
      const t = targets[n * C + c]!;
      if (t !== 0) loss -= t * Math.log(Math.max(p[c]!, 1e-30));
    }
  }
  const y = new Tensor(Float32Array.of(loss / N), [1], logits.requiresGrad);
  return tape.record(y, () => {
    const g = logits.g();
    const scale = y.g()[0]! / N;
    for (let n = 0; n < N; n++) {
      let tsum = 0;
      for (let c = 0; c < C; c++) tsum += targets[n * C + c]!;
      for (let c = 0; c < C; c++) {
        const i = n * C + c;
        g[i] = g[i]! + scale * (tsum * probs[i]! - targets[i]!);
      }
    }
  });
}

/** Mean of each segment of rows: rows offsets[s]..offsets[s+1]-1 (sentences packed without padding). */
export function meanPool(tape: Tape, x: Tensor, offsets: Int32Array): Tensor {
  const [, E] = rowsCols(x);
  const S = offsets.length - 1;
  const out = new Float32Array(S * E);
  for (let s = 0; s < S; s++) {
    const from = offsets[s]!;
    const to = offsets[s + 1]!;
    const inv = 1 / Math.max(to - from, 1);
    for (let r = from; r < to; r++)
      for (let e = 0; e < E; e++) out[s * E + e] = out[s * E + e]! + x.data[r * E + e]!;
    for (let e = 0; e < E; e++) out[s * E + e] = out[s * E + e]! * inv;
  }
  const y = new Tensor(out, [S, E], x.requiresGrad);
  return tape.record(y, () => {
    const gx = x.g();
    const gy = y.g();
    for (let s = 0; s < S; s++) {
      const from = offsets[s]!;
      const to = offsets[s + 1]!;
      const inv = 1 / Math.max(to - from, 1);
      for (let r = from; r < to; r++)
        for (let e = 0; e < E; e++) gx[r * E + e] = gx[r * E + e]! + gy[s * E + e]! * inv;
    }
  });
}

/** Each row scaled to unit L2 norm (what sentence-embedding consumers do after pooling). */
export function l2Normalize(tape: Tape, x: Tensor): Tensor {
  const [M, E] = rowsCols(x);
  const out = new Float32Array(M * E);
  const inv = new Float64Array(M);
  for (let m = 0; m < M; m++) {
    let ss = 0;
    for (let e = 0; e < E; e++) ss += x.data[m * E + e]! ** 2;
    const r = 1 / Math.max(Math.sqrt(ss), 1e-12);
    inv[m] = r;
    for (let e = 0; e < E; e++) out[m * E + e] = x.data[m * E + e]! * r;
  }
  const y = new Tensor(out, [M, E], x.requiresGrad);
  return tape.record(y, () => {
    const gx = x.g();
    const gy = y.g();
    for (let m = 0; m < M; m++) {
      let dotYG = 0;
      for (let e = 0; e < E; e++) dotYG += out[m * E + e]! * gy[m * E + e]!;
      const r = inv[m]!;
      for (let e = 0; e < E; e++) {
        const i = m * E + e;
        gx[i] = gx[i]! + r * (gy[i]! - out[i]! * dotYG);
      }
    }
  });
}

export function scale(tape: Tape, x: Tensor, s: number): Tensor {
  const out = new Float32Array(x.size);
  for (let i = 0; i < out.length; i++) out[i] = x.data[i]! * s;
  const y = new Tensor(out, x.shape, x.requiresGrad);
  return tape.record(y, () => {
    const gx = x.g();
    const gy = y.g();
    for (let i = 0; i < gx.length; i++) gx[i] = gx[i]! + gy[i]! * s;
  });
}
