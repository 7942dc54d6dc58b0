/**
 * Seedable pseudo-random numbers for sampling: one generator per request row, never a shared global,
 * so the same seed gives the same text however many requests run at once.
 *
 * xoshiro128** (Blackman & Vigna) on 32-bit words, seeded by splitmix64 from a 64-bit seed, which spreads
 * nearby seeds (0, 1, 2, ...) into unrelated states.
 * @module
 */
import { randomBytes } from 'node:crypto';

const MASK64 = (1n << 64n) - 1n;

function splitmix64(state: { s: bigint }): bigint {
  state.s = (state.s + 0x9e3779b97f4a7c15n) & MASK64;
  let z = state.s;
  z = ((z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n) & MASK64;
  z = ((z ^ (z >> 27n)) * 0x94d049bb133111ebn) & MASK64;
  return z ^ (z >> 31n);
}

const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));

/** A generator of uniform doubles in [0, 1), fully determined by `seed` (taken modulo 2^64). */
export function createRandom(seed: bigint): () => number {
  const mix = { s: BigInt.asUintN(64, seed) };
  const a = splitmix64(mix);
  const b = splitmix64(mix);
  let s0 = Number(a & 0xffffffffn);
  let s1 = Number(a >> 32n);
  let s2 = Number(b & 0xffffffffn);
  let s3 = Number(b >> 32n);
  // An all-zero state would only ever yield zeros.
  if ((s0 | s1 | s2 | s3) === 0) s0 = 1;
  return () => {
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = rotl(s3, 11);
    return result / 0x1_0000_0000;
  };
}

/** The seed of row `row` in a batch: row 0 keeps the request's seed, so a batch of one matches a single request. */
export function rowSeed(seed: bigint, row: number): bigint {
  return BigInt.asUintN(64, seed + BigInt(row));
}

/** A fresh unpredictable seed, for requests that do not give one. */
export function randomSeed(): bigint {
  return randomBytes(8).readBigUInt64LE(0);
}
