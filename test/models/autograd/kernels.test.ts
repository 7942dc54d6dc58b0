import { expect } from 'chai';
import { gemm, gemmAT, gemmBT, transpose } from '../../../models/src/autograd/kernels.js';
import { Rng } from '../../../models/src/util/rng.js';
import { expectAllClose } from '../helpers/assert.js';

function random(rng: Rng, n: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.normal());
}

/** out[M,N] = Σ_k A(m,k) B(k,n), with accessors so one reference covers every layout. */
function naive(
  dims: [number, number, number],
  A: (m: number, k: number) => number,
  B: (k: number, n: number) => number,
): Float64Array {
  const [M, K, N] = dims;
  const out = new Float64Array(M * N);
  for (let m = 0; m < M; m++)
    for (let n = 0; n < N; n++) for (let k = 0; k < K; k++) out[m * N + n]! += A(m, k) * B(k, n);
  return out;
}

// Sizes straddle the 2x4 register block: odd rows, columns not a multiple of 4, single rows.
const SIZES: [number, number, number][] = [
  [1, 1, 1],
  [2, 3, 4],
  [5, 7, 6],
  [8, 16, 9],
  [3, 33, 13],
];

describe('matrix kernels', () => {
  for (const [M, K, N] of SIZES) {
    it(`given ${M}x${K}x${N}, gemm, gemmBT and gemmAT match a naive triple loop and accumulate`, () => {
      const rng = new Rng(M * 100 + K * 10 + N);
      const a = random(rng, M * K);
      const b = random(rng, K * N);
      const bt = transpose(b, K, N);
      const at = transpose(a, M, K);
      const ref = naive(
        [M, K, N],
        (m, k) => a[m * K + k]!,
        (k, n) => b[k * N + n]!,
      );
      const start = random(rng, M * N);
      const outs = [new Float32Array(start), new Float32Array(start), new Float32Array(start)];
      gemm(a, b, outs[0]!, [M, K, N]);
      gemmBT(a, bt, outs[1]!, [M, K, N]);
      gemmAT(at, b, outs[2]!, [K, M, N]);
      const expected = start.map((s, i) => s + ref[i]!);
      for (const out of outs) expectAllClose(out, expected, 1e-3);
    });
  }

  it('given a 2x3 matrix, transpose returns its 3x2 transpose', () => {
    expect(Array.from(transpose(Float32Array.from([1, 2, 3, 4, 5, 6]), 2, 3))).to.deep.equal([
      1, 4, 2, 5, 3, 6,
    ]);
  });
});
