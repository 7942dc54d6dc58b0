/**
 * Usage buckets and per-version minute counters in this process's memory (local mode without Redis). Old
 * buckets and minutes are dropped after their retention periods.
 * @module
 */

import {
  applyIncrement,
  emptyBucket,
  HOUR_MS,
  hourStart,
  incrementsOf,
  matches,
  type UsageBucket,
  type UsageEvent,
  type UsageQuery,
  type UsageStore,
} from './usage.js';
import {
  addMinuteCounts,
  DEFAULT_FIGURES_RETENTION_HOURS,
  emptyCounts,
  type FiguresWindow,
  MINUTE_MS,
  type MinuteRecord,
  minuteIncrementOf,
  minuteStart,
  minutesOf,
  type VersionFigures,
  versionFiguresOf,
} from './version-figures.js';

export class MemoryUsageStore implements UsageStore {
  readonly #buckets = new Map<string, UsageBucket>();
  /** By minute start, then `model|version` (names hold no `|`). */
  readonly #minutes = new Map<number, Map<string, MinuteRecord>>();
  readonly #retentionMs: number;
  readonly #figuresRetentionMs: number;
  #prunedAt = 0;
  #minutesPrunedAt = 0;

  constructor(retentionDays: number, figuresRetentionHours = DEFAULT_FIGURES_RETENTION_HOURS) {
    this.#retentionMs = retentionDays * 24 * HOUR_MS;
    this.#figuresRetentionMs = figuresRetentionHours * HOUR_MS;
  }

  record(event: UsageEvent): Promise<void> {
    const start = hourStart(event.at);
    for (const inc of incrementsOf(event)) {
      const key = `${start}|${inc.model}|${inc.version}|${event.caller}`;
      let bucket = this.#buckets.get(key);
      if (!bucket) {
        bucket = emptyBucket(start, inc.model, inc.version, event.caller);
        this.#buckets.set(key, bucket);
      }
      applyIncrement(bucket, inc.values);
    }
    this.#prune(event.at.getTime());
    this.#recordMinute(event);
    return Promise.resolve();
  }

  versionFigures(model: string, window: FiguresWindow): Promise<Record<string, VersionFigures>> {
    const records: MinuteRecord[] = [];
    for (const start of minutesOf(window, this.#figuresRetentionMs)) {
      for (const record of this.#minutes.get(start)?.values() ?? [])
        if (record.model === model) records.push(record);
    }
    return Promise.resolve(versionFiguresOf(records));
  }

  #recordMinute(event: UsageEvent): void {
    const inc = minuteIncrementOf(event);
    if (!inc) return;
    let minute = this.#minutes.get(inc.start);
    if (!minute) {
      minute = new Map();
      this.#minutes.set(inc.start, minute);
    }
    const key = `${inc.model}|${inc.version}`;
    let record = minute.get(key);
    if (!record) {
      record = { start: inc.start, model: inc.model, version: inc.version, counts: emptyCounts() };
      minute.set(key, record);
    }
    addMinuteCounts(record.counts, inc.counts);
    // Bounded by the retention: at most one pass a minute drops the minutes that have expired.
    const now = event.at.getTime();
    if (now - this.#minutesPrunedAt < MINUTE_MS) return;
    this.#minutesPrunedAt = now;
    const oldest = minuteStart(now - this.#figuresRetentionMs);
    for (const start of this.#minutes.keys()) if (start < oldest) this.#minutes.delete(start);
  }

  buckets(query: UsageQuery): Promise<UsageBucket[]> {
    const from = query.from.getTime();
    const to = query.to.getTime();
    const result: UsageBucket[] = [];
    for (const bucket of this.#buckets.values()) {
      if (bucket.start < from || bucket.start >= to) continue;
      if (!matches(query, bucket.model, bucket.caller)) continue;
      result.push({ ...bucket, servedBy: { ...bucket.servedBy } });
    }
    return Promise.resolve(result.sort((a, b) => a.start - b.start));
  }

  #prune(now: number): void {
    if (now - this.#prunedAt < HOUR_MS) return;
    this.#prunedAt = now;
    const oldest = hourStart(now - this.#retentionMs);
    for (const [key, bucket] of this.#buckets) if (bucket.start < oldest) this.#buckets.delete(key);
  }
}
