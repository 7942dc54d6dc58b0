/**
 * Usage buckets in this process's memory (local mode without Redis). Old buckets are dropped after the
 * retention period.
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

export class MemoryUsageStore implements UsageStore {
  readonly #buckets = new Map<string, UsageBucket>();
  readonly #retentionMs: number;
  #prunedAt = 0;

  constructor(retentionDays: number) {
    this.#retentionMs = retentionDays * 24 * HOUR_MS;
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
    return Promise.resolve();
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
