/**
 * Small numeric helpers for model outputs: softmax, sigmoid, mean pooling, L2 normalisation.
 * @module
 */

/** Numerically stable softmax. */
export function softmax(logits: ArrayLike<number>): number[] {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i] as number);
  const exps = Array.from(logits, (x) => Math.exp(x - max));
  const total = exps.reduce((sum, e) => sum + e, 0);
  return exps.map((e) => e / total);
}

/** The logistic function of each logit: independent per-label probabilities (multi-label classification). */
export function sigmoid(logits: ArrayLike<number>): number[] {
  return Array.from(logits, (x) => 1 / (1 + Math.exp(-x)));
}

/**
 * Mean of the hidden states of the tokens whose attention-mask entry is 1.
 * @param hidden one row's hidden states, `[sequence, dim]` flattened.
 * @param mask that row's attention mask, one entry per position.
 */
export function meanPool(hidden: ArrayLike<number>, mask: ArrayLike<number | bigint>, dim: number): number[] {
  const sum = new Array<number>(dim).fill(0);
  let count = 0;
  for (let position = 0; position < mask.length; position++) {
    if (Number(mask[position]) === 0) continue;
    count++;
    for (let d = 0; d < dim; d++) sum[d] = (sum[d] as number) + (hidden[position * dim + d] as number);
  }
  return sum.map((s) => (count === 0 ? 0 : s / count));
}

/** The vector scaled to unit Euclidean length (a zero vector stays zero). */
export function l2Normalize(vector: readonly number[]): number[] {
  const norm = Math.sqrt(vector.reduce((sum, x) => sum + x * x, 0));
  return norm === 0 ? [...vector] : vector.map((x) => x / norm);
}
