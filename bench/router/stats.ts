/** Percentiles of float samples, by sorting (a 10 s run is at most a few hundred thousand values). */
export interface Summary {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

const round = (v: number): number => Math.round(v * 1000) / 1000;

export function summarize(values: Float64Array): Summary {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  // Nearest rank: the smallest value with at least q of the samples at or below it.
  const at = (q: number) => (n === 0 ? Number.NaN : round(sorted[Math.max(0, Math.ceil(q * n) - 1)]!));
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: n,
    p50: at(0.5),
    p90: at(0.9),
    p99: at(0.99),
    max: n === 0 ? Number.NaN : round(sorted[n - 1]!),
    mean: n === 0 ? Number.NaN : round(sum / n),
  };
}

/** Growable float array: no per-sample allocation while the load runs. */
export class Samples {
  #data = new Float64Array(1 << 16);
  #n = 0;
  push(v: number): void {
    if (this.#n === this.#data.length) {
      const next = new Float64Array(this.#data.length * 2);
      next.set(this.#data);
      this.#data = next;
    }
    this.#data[this.#n++] = v;
  }
  values(): Float64Array {
    return this.#data.subarray(0, this.#n);
  }
}
