/**
 * Pooling of per-token hidden states into one sentence vector, as sentence-transformers' Pooling module does
 * it: the modes of `1_Pooling/config.json`, concatenated in its order when several are on.
 * @module
 */
import { meanPool } from './vectors.js';

/** A pooling mode: `pooling_mode_<mode>_token(s)` in sentence-transformers' config. */
export type PoolingMode = 'cls' | 'max' | 'mean' | 'lasttoken';

/** sentence-transformers' order when several modes are on (cls, max, mean, ..., lasttoken). */
export const POOLING_ORDER: readonly PoolingMode[] = ['cls', 'max', 'mean', 'lasttoken'];

/**
 * One row's sentence vector: each mode's pooled vector over the tokens whose mask entry is 1, concatenated.
 * @param hidden the row's hidden states, `[sequence, dim]` flattened.
 * @param mask the row's attention mask, one entry per position (right-padded: real tokens first).
 */
export function pool(
  hidden: ArrayLike<number>,
  mask: ArrayLike<number | bigint>,
  dim: number,
  modes: readonly PoolingMode[],
): number[] {
  return modes.flatMap((mode) => poolOne(hidden, mask, dim, mode));
}

function positionsOf(mask: ArrayLike<number | bigint>): number[] {
  const positions: number[] = [];
  for (let p = 0; p < mask.length; p++) if (Number(mask[p]) !== 0) positions.push(p);
  return positions;
}

function poolOne(
  hidden: ArrayLike<number>,
  mask: ArrayLike<number | bigint>,
  dim: number,
  mode: PoolingMode,
): number[] {
  const row = (p: number) => Array.from({ length: dim }, (_, d) => hidden[p * dim + d] as number);
  const positions = positionsOf(mask);
  if (positions.length === 0) return new Array<number>(dim).fill(0);
  switch (mode) {
    case 'cls':
      // The first position, [CLS] or <s>, whatever its mask says (as sentence-transformers reads it).
      return row(0);
    case 'lasttoken':
      return row(positions[positions.length - 1] as number);
    case 'max': {
      const out = new Array<number>(dim).fill(Number.NEGATIVE_INFINITY);
      for (const p of positions)
        for (let d = 0; d < dim; d++) out[d] = Math.max(out[d] as number, hidden[p * dim + d] as number);
      return out;
    }
    case 'mean':
      return meanPool(hidden, mask, dim);
  }
}
