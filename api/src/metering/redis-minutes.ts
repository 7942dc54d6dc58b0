/**
 * The per-version minute counters in Redis: one hash per model and minute, `<prefix>minute:<start>:<model>`,
 * with a field per version and counter, `<version>|requests`, `<version>|errors`, `<version>|le:500`...
 * One hash per model rather than per version, so reading a window is one HGETALL per minute with no index
 * of versions to keep. Writes join the usage store's flush transaction (no round trip of their own): one
 * HINCRBY per counter that moved (HINCRBYFLOAT for the latency sum) and one EXPIREAT per hash, to the end
 * of the minute plus the retention.
 * @module
 */
import type { ChainableCommander } from 'ioredis';
import { bucketIndexOf, bucketName } from './latency-histogram.js';
import {
  addMinuteCounts,
  emptyCounts,
  MINUTE_MS,
  type MinuteCounts,
  type MinuteIncrement,
  type MinuteRecord,
} from './version-figures.js';

/** The counters a hash holds per version besides the latency buckets. */
const COUNTERS = ['requests', 'errors', 'fallbacks', 'cacheHits', 'latencyMsSum'] as const;
type Counter = (typeof COUNTERS)[number];

export const minuteKey = (prefix: string, start: number, model: string): string =>
  `${prefix}minute:${start}:${model}`;

/** Minute increments waiting to be written, merged per model, version and minute. */
export class MinuteBatch {
  readonly #entries = new Map<string, MinuteRecord>();

  /** Distinct model/version/minute counters held. */
  get size(): number {
    return this.#entries.size;
  }

  /** Whether adding `inc` would hold one more counter set. */
  isNew(inc: MinuteIncrement): boolean {
    return !this.#entries.has(idOf(inc));
  }

  add(inc: MinuteRecord): void {
    const id = idOf(inc);
    let entry = this.#entries.get(id);
    if (!entry) {
      entry = { start: inc.start, model: inc.model, version: inc.version, counts: emptyCounts() };
      this.#entries.set(id, entry);
    }
    addMinuteCounts(entry.counts, inc.counts);
  }

  addAll(other: MinuteBatch): void {
    for (const entry of other.#entries.values()) this.add(entry);
  }

  /** Queues the batch's increments on a transaction; hashes expire `retentionMs` after their minute ends. */
  write(tx: ChainableCommander, prefix: string, retentionMs: number): void {
    const keys = new Map<string, number>();
    for (const { start, model, version, counts } of this.#entries.values()) {
      const key = minuteKey(prefix, start, model);
      for (const counter of COUNTERS) {
        const value = counts[counter];
        if (!value) continue;
        // A field once added to as a float takes no HINCRBY again: the latency sum is always a float.
        if (counter === 'latencyMsSum') tx.hincrbyfloat(key, `${version}|${counter}`, value);
        else tx.hincrby(key, `${version}|${counter}`, value);
      }
      counts.latency.forEach((n, i) => {
        if (n) tx.hincrby(key, `${version}|${bucketName(i)}`, n);
      });
      keys.set(key, start);
    }
    for (const [key, start] of keys) tx.expireat(key, Math.ceil((start + MINUTE_MS + retentionMs) / 1000));
  }
}

const idOf = (inc: MinuteIncrement): string => `${inc.start}|${inc.model}|${inc.version}`;

/** The records of one model's minute hash, as HGETALL returns it. Fields of no known counter are skipped. */
export function recordsOfHash(start: number, model: string, hash: Record<string, string>): MinuteRecord[] {
  const byVersion = new Map<string, MinuteCounts>();
  for (const [field, value] of Object.entries(hash)) {
    const bar = field.indexOf('|');
    if (bar === -1) continue;
    const version = field.slice(0, bar);
    const name = field.slice(bar + 1);
    let counts = byVersion.get(version);
    if (!counts) {
      counts = emptyCounts();
      byVersion.set(version, counts);
    }
    if ((COUNTERS as readonly string[]).includes(name)) counts[name as Counter] = Number(value);
    else {
      const i = bucketIndexOf(name);
      if (i !== undefined) counts.latency[i] = Number(value);
    }
  }
  return [...byVersion].map(([version, counts]) => ({ start, model, version, counts }));
}
