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

/** Whether token `a` ranks after token `b`: a lower logit, or the same logit and a higher id. */
const ranksAfter = (logits: ArrayLike<number>, a: number, b: number) => {
  const la = logits[a] as number;
  const lb = logits[b] as number;
  return la < lb || (la === lb && a > b);
};

/** Logit bins of {@link rankedUntil}'s histogram. */
const BINS = 2048;

/** `sum(exp((logit - max) / temperature))` over the whole vocabulary, and the max logit. */
function softmaxTotal(logits: ArrayLike<number>, temperature: number): { max: number; total: number } {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) if ((logits[i] as number) > max) max = logits[i] as number;
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += Math.exp(((logits[i] as number) - max) / temperature);
  return { max, total };
}

/** Keeps the first `cut` candidates, renormalised to add up to 1. */
function keepFirst(ids: number[], probs: number[], cut: number): { ids: number[]; probs: number[] } {
  const kept = probs.slice(0, cut);
  const keptTotal = kept.reduce((sum, p) => sum + p, 0);
  return { ids: ids.slice(0, cut), probs: kept.map((p) => p / keptTotal) };
}

/** How many of `probs` (most likely first) top-p keeps: up to the first where they add up to `topP`, or all. */
function topPCut(probs: readonly number[], topP: number): number {
  if (topP >= 1) return probs.length;
  let cumulative = 0;
  for (let i = 0; i < probs.length; i++) {
    cumulative += probs[i] as number;
    if (cumulative >= topP) return i + 1;
  }
  return probs.length;
}

/**
 * The candidate tokens and their probabilities after temperature, top-k and top-p, most likely first (lower id
 * on ties). Exposed for tests; `sampleToken` draws from it.
 *
 * The vocabulary is never sorted (151,936 tokens for Qwen): top-k selects its k tokens with a bounded heap
 * ({@link topIds}); top-p alone takes the softmax over the whole vocabulary once, then ranks the most likely
 * tokens in growing chunks until they add up to top-p. With top-k the figures are exactly those of a full sort;
 * with top-p alone the softmax total is summed in id order rather than rank order (a difference in the last bits).
 */
export function candidates(
  logits: ArrayLike<number>,
  options: SamplingOptions,
): { ids: number[]; probs: number[] } {
  const { temperature, topK, topP } = options;
  if (topK > 0) {
    const kept = topIds(logits, Math.min(topK, logits.length));
    const max = logits[kept[0] as number] as number;
    const weights = kept.map((id) => Math.exp(((logits[id] as number) - max) / temperature));
    const total = weights.reduce((sum, w) => sum + w, 0);
    const probs = weights.map((w) => w / total);
    return keepFirst(kept, probs, topPCut(probs, topP));
  }
  const { max, total } = softmaxTotal(logits, temperature);
  const probOf = (id: number) => Math.exp(((logits[id] as number) - max) / temperature) / total;
  let ids = rankedUntil(logits, max, total, temperature, topP);
  let probs = ids.map(probOf);
  let cut = topPCut(probs, topP);
  if (cut === probs.length && ids.length < logits.length) {
    // Rounding left the histogram's mass a hair above the ranked tokens' sum: rank them all.
    ids = topIds(logits, logits.length);
    probs = ids.map(probOf);
    cut = topPCut(probs, topP);
  }
  return keepFirst(ids, probs, cut);
}

/** Draws one token id; `random` must return uniform doubles in [0, 1). */
export function sampleToken(
  logits: ArrayLike<number>,
  options: SamplingOptions,
  random: () => number,
): number {
  let u = random();
  if (options.topK <= 0 && options.topP >= 1) return drawUnfiltered(logits, options.temperature, u);
  const { ids, probs } = candidates(logits, options);
  for (let i = 0; i < ids.length; i++) {
    u -= probs[i] as number;
    if (u < 0) return ids[i] as number;
  }
  // Rounding can leave u a hair above zero after the last candidate.
  return ids[ids.length - 1] as number;
}

/**
 * The draw `u` from the whole vocabulary, most likely first: only the tokens needed to use `u` up are ranked
 * ({@link rankedUntil}), which for a peaked distribution is a few of them.
 */
function drawUnfiltered(logits: ArrayLike<number>, temperature: number, u: number): number {
  const { max, total } = softmaxTotal(logits, temperature);
  const probOf = (id: number) => Math.exp(((logits[id] as number) - max) / temperature) / total;
  const walk = (ranked: readonly number[]) => {
    let left = u;
    for (const id of ranked) {
      left -= probOf(id);
      if (left < 0) return id;
    }
    // Rounding can leave u a hair above zero after the last token.
    return ranked.length === logits.length ? (ranked[ranked.length - 1] as number) : undefined;
  };
  // undefined: rounding left the histogram's mass a hair above the ranked tokens' sum; rank them all.
  return (
    walk(rankedUntil(logits, max, total, temperature, Math.min(u, 1))) ??
    (walk(topIds(logits, logits.length)) as number)
  );
}

/**
 * A prefix of the ranking (most likely first, lower id on ties) whose softmax mass reaches `mass`, or the whole
 * ranking. Tokens are binned by logit; bins are read from the top until their mass reaches `mass`, one more bin
 * is taken against rounding, and only the tokens of those bins are sorted. Binning is monotone in the logit, so
 * the tokens of the top bins are exactly the top of the ranking.
 */
function rankedUntil(
  logits: ArrayLike<number>,
  max: number,
  total: number,
  temperature: number,
  mass: number,
): number[] {
  let min = max;
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i] as number;
    if (l < min && Number.isFinite(l)) min = l;
  }
  const scale = max > min ? (BINS - 1) / (max - min) : 0;
  const binOf = (l: number) => (l >= min ? Math.floor((l - min) * scale) : 0);
  const binMass = new Float64Array(BINS);
  for (let i = 0; i < logits.length; i++) {
    const l = logits[i] as number;
    const b = binOf(l);
    binMass[b] = (binMass[b] as number) + Math.exp((l - max) / temperature) / total;
  }
  let bin = BINS - 1;
  for (let acc = binMass[bin] as number; bin > 0 && acc < mass; ) acc += binMass[--bin] as number;
  bin = Math.max(bin - 1, 0);
  const ids: number[] = [];
  for (let i = 0; i < logits.length; i++) if (binOf(logits[i] as number) >= bin) ids.push(i);
  return ids.sort((a, b) => (logits[b] as number) - (logits[a] as number) || a - b);
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

/**
 * The ids of the `k` largest logits, largest first, lower id on ties. One pass with a bounded min-heap of the
 * best `k` so far (O(V log k)), then a sort of those `k` only.
 */
export function topIds(logits: ArrayLike<number>, k: number): number[] {
  const size = Math.min(Math.max(k, 0), logits.length);
  if (size === 0) return [];
  // heap[0] is the worst of the best so far: the one every new token must beat.
  const heap = new Int32Array(size);
  const siftDown = (from: number, count: number) => {
    let at = from;
    for (;;) {
      const left = 2 * at + 1;
      if (left >= count) return;
      const right = left + 1;
      let worst = left;
      if (right < count && ranksAfter(logits, heap[right] as number, heap[left] as number)) worst = right;
      if (!ranksAfter(logits, heap[worst] as number, heap[at] as number)) return;
      const swap = heap[at] as number;
      heap[at] = heap[worst] as number;
      heap[worst] = swap;
      at = worst;
    }
  };
  for (let i = 0; i < size; i++) heap[i] = i;
  for (let i = (size >> 1) - 1; i >= 0; i--) siftDown(i, size);
  let floor = logits[heap[0] as number] as number;
  for (let i = size; i < logits.length; i++) {
    // A later id with the same logit ranks after the heap's worst, so only a larger logit gets in.
    if (!((logits[i] as number) > floor)) continue;
    heap[0] = i;
    siftDown(0, size);
    floor = logits[heap[0] as number] as number;
  }
  return Array.from(heap).sort((a, b) => (ranksAfter(logits, a, b) ? 1 : -1));
}
