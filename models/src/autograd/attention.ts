/**
 * Causal multi-head self-attention as one op, over unpadded training windows. Fused because a tape of
 * per-head matmuls would spend more time in bookkeeping than in arithmetic at these sizes.
 * @module
 */
import { type Tape, Tensor } from './tensor.js';

export interface AttentionDims {
  /** sequences in the batch */
  readonly batch: number;
  /** tokens per sequence */
  readonly seq: number;
  readonly heads: number;
  /**
   * ALiBi: head h adds -slopes[h]·(i - j) to the score of query i for key j, a fixed recency bias in
   * place of position embeddings. Constant, so the backward pass is unchanged.
   */
  readonly slopes?: readonly number[];
}

/** Offsets and sizes shared by every query row. */
class Layout {
  readonly E: number;
  readonly E3: number;
  readonly D: number;
  readonly T: number;
  readonly H: number;
  readonly scale: number;
  readonly slopes: readonly number[];

  constructor(qkv: Tensor, dims: AttentionDims) {
    this.E3 = qkv.shape[1]!;
    this.E = this.E3 / 3;
    this.D = this.E / dims.heads;
    this.T = dims.seq;
    this.H = dims.heads;
    this.scale = 1 / Math.sqrt(this.D);
    this.slopes = dims.slopes ?? new Array<number>(dims.heads).fill(0);
    if (dims.slopes && dims.slopes.length !== dims.heads) throw new Error('attention: one slope per head');
    if (qkv.shape[0] !== dims.batch * dims.seq || !Number.isInteger(this.D))
      throw new Error('attention: bad qkv shape');
  }

  /** Start of head h's query (part 0), key (1) or value (2) for token t of sequence b, in qkv. */
  at(b: number, t: number, h: number, part: number): number {
    return (b * this.T + t) * this.E3 + part * this.E + h * this.D;
  }

  /** Start of head h for token t of sequence b in the merged [tokens, E] output. */
  out(b: number, t: number, h: number): number {
    return (b * this.T + t) * this.E + h * this.D;
  }

  /** Start of the probability row of query i for sequence b, head h. */
  probs(b: number, h: number, i: number): number {
    return ((b * this.H + h) * this.T + i) * this.T;
  }
}

function dot(x: Float32Array, a: number, y: Float32Array, b: number, n: number): number {
  let s = 0;
  for (let k = 0; k < n; k++) s += x[a + k]! * y[b + k]!;
  return s;
}

/** Softmax of query i over keys 0..i, stored into probs, and the weighted sum of values into out. */
function forwardRow(
  L: Layout,
  q: Float32Array,
  io: { out: Float32Array; probs: Float32Array },
  bhi: number[],
): void {
  const [b, h, i] = bhi as [number, number, number];
  const qo = L.at(b, i, h, 0);
  const po = L.probs(b, h, i);
  let max = Number.NEGATIVE_INFINITY;
  const slope = L.slopes[h]!;
  for (let j = 0; j <= i; j++) {
    const s = dot(q, qo, q, L.at(b, j, h, 1), L.D) * L.scale - slope * (i - j);
    io.probs[po + j] = s;
    if (s > max) max = s;
  }
  let sum = 0;
  for (let j = 0; j <= i; j++) {
    const e = Math.exp(io.probs[po + j]! - max);
    io.probs[po + j] = e;
    sum += e;
  }
  const oo = L.out(b, i, h);
  for (let j = 0; j <= i; j++) {
    const p = io.probs[po + j]! / sum;
    io.probs[po + j] = p;
    const vo = L.at(b, j, h, 2);
    for (let d = 0; d < L.D; d++) io.out[oo + d] = io.out[oo + d]! + p * q[vo + d]!;
  }
}

/**
 * qkv is [batch*seq, 3E] laid out as GPT-2's c_attn output (q | k | v, each split into heads by columns);
 * returns the merged heads [batch*seq, E]. Position i attends to positions 0..i of its own sequence.
 */
export function causalSelfAttention(tape: Tape, qkv: Tensor, dims: AttentionDims): Tensor {
  const L = new Layout(qkv, dims);
  const io = {
    out: new Float32Array(dims.batch * L.T * L.E),
    probs: new Float32Array(dims.batch * L.H * L.T * L.T),
  };
  for (let b = 0; b < dims.batch; b++) {
    for (let h = 0; h < L.H; h++) for (let i = 0; i < L.T; i++) forwardRow(L, qkv.data, io, [b, h, i]);
  }
  const y = new Tensor(io.out, [dims.batch * L.T, L.E], qkv.requiresGrad);
  return tape.record(y, () => {
    const grads = { gx: qkv.g(), gy: y.g(), probs: io.probs, dp: new Float64Array(L.T) };
    for (let b = 0; b < dims.batch; b++) {
      for (let h = 0; h < L.H; h++) for (let i = 0; i < L.T; i++) backwardRow(L, qkv.data, grads, [b, h, i]);
    }
  });
}

interface RowGrads {
  readonly gx: Float32Array;
  readonly gy: Float32Array;
  readonly probs: Float32Array;
  /** scratch: dOut_i · v_j per key */
  readonly dp: Float64Array;
}

function backwardRow(L: Layout, x: Float32Array, g: RowGrads, bhi: number[]): void {
  const [b, h, i] = bhi as [number, number, number];
  const go = L.out(b, i, h);
  const qo = L.at(b, i, h, 0);
  const po = L.probs(b, h, i);
  // dP_ij = dOut_i · v_j and dV_j += P_ij dOut_i; then through the softmax: dS_ij = P_ij (dP_ij - Σ_j P_ij dP_ij).
  let weighted = 0;
  for (let j = 0; j <= i; j++) {
    const vo = L.at(b, j, h, 2);
    const p = g.probs[po + j]!;
    g.dp[j] = dot(g.gy, go, x, vo, L.D);
    weighted += p * g.dp[j]!;
    for (let d = 0; d < L.D; d++) g.gx[vo + d] = g.gx[vo + d]! + p * g.gy[go + d]!;
  }
  for (let j = 0; j <= i; j++) {
    const ds = g.probs[po + j]! * (g.dp[j]! - weighted) * L.scale;
    const ko = L.at(b, j, h, 1);
    for (let d = 0; d < L.D; d++) {
      g.gx[qo + d] = g.gx[qo + d]! + ds * x[ko + d]!;
      g.gx[ko + d] = g.gx[ko + d]! + ds * x[qo + d]!;
    }
  }
}
