/**
 * Next-token choice from one row of logits: greedy argmax, or temperature / top-k / top-p sampling.
 *
 * Pure: randomness comes in as a function, so a seeded generator makes sampling reproducible. Ties are broken
 * by the lower token id, so greedy decoding and candidate order never depend on sort stability.
 * @module
 */

/** How to sample; `topK` 0 and `topP` 1 switch those filters off. */
export interface SamplingOptions {
  /** > 0; logits are divided by it before the softmax. */
  readonly temperature: number;
  readonly topK: number;
  /** In (0, 1]: keep the smallest set of most likely tokens whose probabilities add up to at least this. */
  readonly topP: number;
}

/** Index of the largest logit; the lowest index wins a tie. */
export function argmax(logits: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if ((logits[i] as number) > (logits[best] as number)) best = i;
  return best;
}

/**
 * The candidate tokens and their probabilities after temperature, top-k and top-p, most likely first.
 * Exposed for tests; `sampleToken` draws from it.
 */
export function candidates(
  logits: ArrayLike<number>,
  options: SamplingOptions,
): { ids: number[]; probs: number[] } {
  // Sorting the whole vocabulary each step costs O(V log V); fine for the vocabularies served today.
  const order = Array.from({ length: logits.length }, (_, i) => i).sort(
    (a, b) => (logits[b] as number) - (logits[a] as number) || a - b,
  );
  const kept = options.topK > 0 ? order.slice(0, Math.min(options.topK, order.length)) : order;
  const max = logits[kept[0] as number] as number;
  const weights = kept.map((id) => Math.exp(((logits[id] as number) - max) / options.temperature));
  const total = weights.reduce((sum, w) => sum + w, 0);
  const probs = weights.map((w) => w / total);

  let cut = probs.length;
  if (options.topP < 1) {
    let cumulative = 0;
    for (let i = 0; i < probs.length; i++) {
      cumulative += probs[i] as number;
      if (cumulative >= options.topP) {
        cut = i + 1;
        break;
      }
    }
  }
  const ids = kept.slice(0, cut);
  const keptTotal = probs.slice(0, cut).reduce((sum, p) => sum + p, 0);
  return { ids, probs: probs.slice(0, cut).map((p) => p / keptTotal) };
}

/** Draws one token id; `random` must return uniform doubles in [0, 1). */
export function sampleToken(
  logits: ArrayLike<number>,
  options: SamplingOptions,
  random: () => number,
): number {
  const { ids, probs } = candidates(logits, options);
  let u = random();
  for (let i = 0; i < ids.length; i++) {
    u -= probs[i] as number;
    if (u < 0) return ids[i] as number;
  }
  // Rounding can leave u a hair above zero after the last candidate.
  return ids[ids.length - 1] as number;
}
