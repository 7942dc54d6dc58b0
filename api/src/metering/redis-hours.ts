/**
 * The hourly usage buckets in Redis: one hash per hour, model, version and caller, with a field per counter
 * and a `servedBy:<model>` field per serving model. Pure helpers of redis-usage-store.ts.
 * @module
 */
import type { ChainableCommander } from 'ioredis';
import {
  addCounts,
  type BucketIncrement,
  HOUR_MS,
  hourStart,
  type UsageBucket,
  type UsageQuery,
} from './usage.js';

type Values = BucketIncrement['values'];
type NumericField = Exclude<keyof Values, 'currency' | 'servedBy'>;
/** Hash field prefix of the served-by breakdown: `servedBy:<model>` (model names are DNS labels, no colon). */
const SERVED_BY = 'servedBy:';
/** How Redis adds each counter: counts with HINCRBY, latency and cost with HINCRBYFLOAT. */
const FIELDS: Record<NumericField, 'int' | 'float'> = {
  requests: 'int',
  errors: 'int',
  cacheHits: 'int',
  fallbacks: 'int',
  latencyMsSum: 'float',
  served: 'int',
  inputTokens: 'int',
  outputTokens: 'int',
  cost: 'float',
};
const NUMERIC_FIELDS = Object.keys(FIELDS) as NumericField[];

export interface Pending {
  readonly start: number;
  /** JSON [model, version, caller]: the member of the hour's index and the tail of the hash key. */
  readonly member: string;
  values: Values;
}

/** Queues one bucket's increments: HINCRBY/HINCRBYFLOAT per counter that moved, then EXPIRE. */
export function writeBucket(tx: ChainableCommander, key: string, values: Values, ttl: number): void {
  for (const field of NUMERIC_FIELDS) {
    const value = values[field];
    if (!value) continue;
    if (FIELDS[field] === 'int' && Number.isInteger(value)) tx.hincrby(key, field, value);
    else tx.hincrbyfloat(key, field, value);
  }
  for (const [model, n] of Object.entries(values.servedBy ?? {})) tx.hincrby(key, `${SERVED_BY}${model}`, n);
  if (values.currency !== undefined) tx.hset(key, 'currency', values.currency);
  tx.expire(key, ttl);
}

/** Hour starts in [from, to), none older than the retention before `to` (those have expired). */
export function hoursOf(query: UsageQuery, retentionMs: number): number[] {
  const to = query.to.getTime();
  const first = Math.max(Math.ceil(query.from.getTime() / HOUR_MS) * HOUR_MS, hourStart(to - retentionMs));
  const hours: number[] = [];
  for (let h = first; h < to; h += HOUR_MS) hours.push(h);
  return hours;
}

export function addTo(batch: Map<string, Pending>, id: string, inc: Pending): void {
  const target = batch.get(id);
  if (!target) {
    const values = {
      ...inc.values,
      ...(inc.values.servedBy ? { servedBy: { ...inc.values.servedBy } } : {}),
    };
    batch.set(id, { ...inc, values });
    return;
  }
  const values = target.values as Record<string, unknown>;
  for (const [field, value] of Object.entries(inc.values)) {
    if (field === 'currency') values[field] = value;
    else if (field === 'servedBy') {
      values.servedBy = { ...(values.servedBy as Record<string, number> | undefined) };
      addCounts(values.servedBy as Record<string, number>, value as Record<string, number>);
    } else values[field] = ((values[field] as number | undefined) ?? 0) + (value as number);
  }
}

export function toBucket(start: number, names: string[], hash: Record<string, string>): UsageBucket {
  const [model = '', version = '', caller = ''] = names;
  const bucket: Record<string, unknown> = { start, model, version, caller, currency: hash.currency ?? 'USD' };
  for (const field of NUMERIC_FIELDS) bucket[field] = Number(hash[field] ?? 0);
  const servedBy: Record<string, number> = {};
  for (const [field, value] of Object.entries(hash))
    if (field.startsWith(SERVED_BY)) servedBy[field.slice(SERVED_BY.length)] = Number(value);
  bucket.servedBy = servedBy;
  return bucket as unknown as UsageBucket;
}
