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

/**
 * What a request changes in the logits before a token is chosen (greedy or sampled), in vLLM's order:
 * `logitBias` is added first, then the repetition, frequency and presence penalties apply.
 */
export interface LogitAdjustments {
  /** Token id -> value added to its logit (OpenAI's `logit_bias`, -100..100). */
  readonly logitBias: ReadonlyMap<number, number>;
  /**
   * transformers' repetition penalty over the prompt and the generated tokens: a seen token's logit is
   * divided by it when positive, multiplied by it when negative. 1 is off.
   */
  readonly repetitionPenalty: number;
  /** OpenAI's: subtracted once from the logit of every token generated so far. 0 is off. */
  readonly presencePenalty: number;
  /** OpenAI's: subtracted from a token's logit once per time it was generated so far. 0 is off. */
  readonly frequencyPenalty: number;
}

/** What the penalties look at: every token of the prompt and of the output, and the output's counts. */
export interface TokenHistory {
  /** Prompt and generated ids (repetition penalty). */
  readonly seen: ReadonlySet<number>;
  /** How many times each id was generated (presence and frequency penalties). */
  readonly generated: ReadonlyMap<number, number>;
}

/** Whether `adjustments` change any logit at all. */
export function adjustsLogits(adjustments: LogitAdjustments): boolean {
  return (
    adjustments.logitBias.size > 0 ||
    adjustments.repetitionPenalty !== 1 ||
    adjustments.presencePenalty !== 0 ||
    adjustments.frequencyPenalty !== 0
  );
}

/** transformers' repetition penalty on one logit: positive ones divided, negative ones multiplied. */
const repeated = (logit: number, penalty: number) => (logit > 0 ? logit / penalty : logit * penalty);

/** The logits after bias and penalties; a new array (the model's logits may be shared by several choices). */
export function adjustLogits(
  logits: Float32Array,
  adjustments: LogitAdjustments,
  history: TokenHistory,
): Float32Array {
  const out = Float32Array.from(logits);
  const inVocabulary = (id: number) => id < out.length;
  for (const [id, bias] of adjustments.logitBias) if (inVocabulary(id)) out[id] = (out[id] as number) + bias;
  const rep = adjustments.repetitionPenalty;
  if (rep !== 1)
    for (const id of [...history.seen].filter(inVocabulary)) out[id] = repeated(out[id] as number, rep);
  const { presencePenalty: presence, frequencyPenalty: frequency } = adjustments;
  for (const [id, count] of history.generated) {
    if (inVocabulary(id)) out[id] = (out[id] as number) - frequency * count - (count > 0 ? presence : 0);
  }
  return out;
}

/** One token and its log-probability. */
export interface TokenLogprob {
  readonly id: number;
  readonly logprob: number;
}

/** The chosen token's log-probability and the `top` most likely tokens' (most likely first, lower id on ties). */
export interface StepLogprobs {
  readonly chosen: TokenLogprob;
  readonly top: readonly TokenLogprob[];
}

/**
 * Log-softmax of `logits` (the model's raw distribution, at temperature 1, as vLLM reports by default),
 * read at `chosen` and at the `top` most likely ids. O(V * top), computed in doubles.
 */
export function stepLogprobs(logits: ArrayLike<number>, chosen: number, top: number): StepLogprobs {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) if ((logits[i] as number) > max) max = logits[i] as number;
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += Math.exp((logits[i] as number) - max);
  const logZ = max + Math.log(total);
  const of = (id: number): TokenLogprob => ({ id, logprob: (logits[id] as number) - logZ });
  return { chosen: of(chosen), top: topIds(logits, top).map(of) };
}

/** The ids of the `k` largest logits, largest first, lower id on ties; one pass, no sort of the vocabulary. */
export function topIds(logits: ArrayLike<number>, k: number): number[] {
  const best: number[] = [];
  if (k <= 0) return best;
  const at = (r: number) => logits[best[r] as number] as number;
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i] as number;
    if (best.length === k && l <= at(k - 1)) continue;
    let r = best.length;
    while (r > 0 && l > at(r - 1)) r--;
    best.splice(r, 0, i);
    if (best.length > k) best.pop();
  }
  return best;
}
