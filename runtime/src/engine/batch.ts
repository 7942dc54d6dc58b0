/**
 * Right-padded int64 batches for encoder (BERT-style) inputs.
 * @module
 */

/** `input_ids`, `attention_mask` and `token_type_ids` for a batch, each `[batch, length]` row-major. */
export interface PaddedBatch {
  readonly batch: number;
  readonly length: number;
  readonly inputIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  readonly tokenTypeIds: BigInt64Array;
}

/**
 * Pads token rows on the right to the longest row. Right padding keeps every real token at the position it
 * has when the text runs alone, so a padded row gives the same result as its unpadded run.
 */
export function padRight(rows: readonly (readonly number[])[], padId: number): PaddedBatch {
  const length = Math.max(0, ...rows.map((row) => row.length));
  const inputIds = new BigInt64Array(rows.length * length).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(rows.length * length);
  rows.forEach((row, r) => {
    row.forEach((id, position) => {
      inputIds[r * length + position] = BigInt(id);
      attentionMask[r * length + position] = 1n;
    });
  });
  return {
    batch: rows.length,
    length,
    inputIds,
    attentionMask,
    tokenTypeIds: new BigInt64Array(rows.length * length),
  };
}

/**
 * Splits a batch into runs of rows of similar length, to compute less padding: the rows sorted by length, cut
 * between lengths where the padded tokens saved outweigh the cost of one more run. A run costs `runCost`
 * (its fixed cost, in tokens' worth of compute) plus its rows times its longest row; the plan is the cheapest
 * (dynamic programming over the distinct lengths). A batch planned as one run (always with `runCost`
 * Infinity, or rows all of one length) keeps its own order.
 * @returns groups of row indices, shortest rows first; every index once.
 */
export function planRuns(lengths: readonly number[], runCost: number): number[][] {
  const all = lengths.map((_, i) => i);
  if (!Number.isFinite(runCost) || lengths.length < 2) return [all];
  const order = all.sort((a, b) => (lengths[a] as number) - (lengths[b] as number) || a - b);
  // Distinct lengths, ascending, with where each one's rows end in `order`.
  const classes: { length: number; end: number }[] = [];
  order.forEach((row, k) => {
    const length = lengths[row] as number;
    const last = classes.at(-1);
    if (last?.length === length) last.end = k + 1;
    else classes.push({ length, end: k + 1 });
  });
  const start = (c: number) => (c === 0 ? 0 : (classes[c - 1] as { end: number }).end);
  // cheapest[j]: the cheapest plan for the rows of the first j lengths; from[j]: where its last run starts.
  const cheapest = [0];
  const from = [0];
  for (let j = 1; j <= classes.length; j++) {
    const { length, end } = classes[j - 1] as { length: number; end: number };
    cheapest[j] = Number.POSITIVE_INFINITY;
    for (let i = 0; i < j; i++) {
      const cost = (cheapest[i] as number) + runCost + (end - start(i)) * length;
      if (cost < (cheapest[j] as number)) {
        cheapest[j] = cost;
        from[j] = i;
      }
    }
  }
  const runs: number[][] = [];
  for (let j = classes.length; j > 0; j = from[j] as number) {
    runs.unshift(order.slice(start(from[j] as number), start(j)));
  }
  return runs.length === 1 ? [lengths.map((_, i) => i)] : runs;
}

/**
 * A batch as two runs, its shorter rows and its longer ones, cut between two lengths as near the middle row as
 * can be; one run in its own order when all rows have one length. How the batcher learns what runs cost.
 */
export function halves(lengths: readonly number[]): number[][] {
  const order = lengths
    .map((_, i) => i)
    .sort((a, b) => (lengths[a] as number) - (lengths[b] as number) || a - b);
  let cut = -1;
  for (let k = 1; k < order.length; k++) {
    const between = lengths[order[k - 1] as number] !== lengths[order[k] as number];
    if (between && (cut < 0 || Math.abs(k - order.length / 2) < Math.abs(cut - order.length / 2))) cut = k;
  }
  return cut < 0 ? [lengths.map((_, i) => i)] : [order.slice(0, cut), order.slice(cut)];
}

/**
 * What one run costs beyond its tokens, learnt from the runs themselves: a least-squares line of run time
 * against padded tokens (rows × length), over recent runs (older ones weigh less), whose intercept over its
 * slope is the fixed cost of a run in tokens. It differs by model and machine by orders of magnitude (a few
 * tokens for a MiniLM on a CPU, hundreds for a toy model or on a GPU), hence measured, not configured.
 */
export class RunCosts {
  #runs = 0;
  #weight = 0;
  #x = 0;
  #y = 0;
  #xx = 0;
  #xy = 0;
  #estimate = Number.POSITIVE_INFINITY;

  /** @param decay how much each older run still weighs (0.98: about the last 50 runs count). */
  constructor(private readonly decay = 0.98) {}

  /** One run of `tokens` padded tokens that took `ms`. */
  observe(tokens: number, ms: number): void {
    const d = this.decay;
    this.#runs++;
    this.#weight = this.#weight * d + 1;
    this.#x = this.#x * d + tokens;
    this.#y = this.#y * d + ms;
    this.#xx = this.#xx * d + tokens * tokens;
    this.#xy = this.#xy * d + tokens * ms;
    const w = this.#weight;
    const meanX = this.#x / w;
    const variance = this.#xx / w - meanX * meanX;
    // Runs all of about one size say nothing about the fixed cost: keep what earlier runs said.
    if (this.#runs < 4 || variance <= (0.05 * meanX) ** 2) return;
    const slope = (this.#xy / w - meanX * (this.#y / w)) / variance;
    if (!(slope > 0)) return;
    const intercept = this.#y / w - slope * meanX;
    this.#estimate = Math.max(0, intercept / slope);
  }

  /** The fixed cost of a run, in tokens; Infinity until runs of different sizes have been seen. */
  get perRun(): number {
    return this.#estimate;
  }
}
