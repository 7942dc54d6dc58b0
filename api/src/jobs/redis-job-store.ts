/**
 * The record of batch jobs in Redis, written only by Lua scripts so every step is atomic:
 *
 * - `<prefix><id>`          hash: priority, total, state, timings, counters, cancel flag, digest
 * - `<prefix><id>:items`    list: the items as JSON, in request order
 * - `<prefix><id>:results`  hash: index -> result JSON, written once (HSETNX): a re-run after a crash
 *                           cannot add a second result or count an item twice
 * - `<prefix><id>:started`  hash: indexes some worker has started (cancellation leaves these to finish)
 * - `<prefix>key:<key>`     string: idempotency key -> job id
 *
 * A job is provisional (every key expires after PROVISIONAL_MS) until its items are in the queue; then
 * its keys persist until it finishes, when they all get the job TTL. So a submission that failed half way
 * cleans itself up, and a finished job's keys leave together.
 * @module
 */
import type { Redis } from 'ioredis';
import { ANONYMOUS } from '../http/callers.js';
import type { BatchItem, JobPriority, JobState } from '../schemas/jobs.js';
import type { StoredResult } from './item-policy.js';
import type { JobSnapshot } from './job-view.js';

/** How long a job that was never fully enqueued is kept (for a retry with its idempotency key). */
export const PROVISIONAL_MS = 10 * 60_000;

export interface StoredJob extends JobSnapshot {
  readonly accepted: boolean;
  readonly digest: string;
}

/**
 * `cancelled`: the job was cancelled after this item first started (it was waiting on a retry or its caller's
 * budget); it is recorded as cancelled rather than run.
 */
export type Claim =
  | { kind: 'run'; item: BatchItem }
  | { kind: 'done' }
  | { kind: 'gone' }
  | { kind: 'cancelled' };

/** 'recorded', 'duplicate', 'gone', or the state the job finished in. */
export type RecordOutcome = 'recorded' | 'duplicate' | 'gone' | JobState;

// KEYS: meta, items, results, started. ARGV[1]: now (ms), ARGV[2]: TTL (ms). Finishes the job once every
// item has a result: its state, completion time, and the TTL on all of its keys (and its idempotency key).
const FINISH = `
local m = redis.call('HMGET', KEYS[1], 'total', 'succeeded', 'failed', 'cancelled', 'cancel', 'state', 'idem')
local total, s, f, c = tonumber(m[1]), tonumber(m[2]), tonumber(m[3]), tonumber(m[4])
if s + f + c < total or m[6] == 'completed' or m[6] == 'failed' or m[6] == 'cancelled' then
  return 'recorded'
end
local state = 'completed'
if c > 0 or m[5] == '1' then state = 'cancelled' elseif f == total then state = 'failed' end
redis.call('HSET', KEYS[1], 'state', state, 'completed', ARGV[1])
for i = 1, 4 do redis.call('PEXPIRE', KEYS[i], ARGV[2]) end
if m[7] and m[7] ~= '' then redis.call('PEXPIRE', m[7], ARGV[2]) end
return state`;

// Keys written after the job's meta follow its expiry while it is provisional (or finished).
const FOLLOW_TTL = (key: string) => `
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', ${key}, ttl) end`;

const SCRIPTS = {
  // KEYS: meta, items, idem. ARGV: id, priority, now, provisional ms, digest, idem key or '', caller, items...
  create: {
    keys: 3,
    lua: `
if ARGV[6] ~= '' then
  local existing = redis.call('GET', KEYS[3])
  if existing then return {0, existing} end
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'priority', ARGV[2], 'total', #ARGV - 7, 'state', 'queued',
  'created', ARGV[3], 'succeeded', 0, 'failed', 0, 'cancelled', 0, 'cancel', 0, 'accepted', 0,
  'digest', ARGV[5], 'idem', ARGV[6] ~= '' and KEYS[3] or '', 'caller', ARGV[7])
for i = 8, #ARGV, 1000 do redis.call('RPUSH', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV))) end
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PEXPIRE', KEYS[2], ARGV[4])
if ARGV[6] ~= '' then redis.call('SET', KEYS[3], ARGV[1], 'PX', ARGV[4]) end
return {1, ARGV[1]}`,
  },
  // KEYS: meta, items, results, started. Keeps a running job until it finishes (a finished one keeps its TTL).
  accept: {
    keys: 4,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'accepted', 1)
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'completed' or state == 'failed' or state == 'cancelled' then return 1 end
for i = 1, 4 do redis.call('PERSIST', KEYS[i]) end
local idem = redis.call('HGET', KEYS[1], 'idem')
if idem and idem ~= '' then redis.call('PERSIST', idem) end
return 1`,
  },
  // KEYS: meta, items, results, started. ARGV: index, now.
  claim: {
    keys: 4,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone'} end
if redis.call('HEXISTS', KEYS[3], ARGV[1]) == 1 then return {'done'} end
if redis.call('HGET', KEYS[1], 'cancel') == '1' then return {'cancelled'} end
redis.call('HSET', KEYS[4], ARGV[1], 1)
${FOLLOW_TTL('KEYS[4]')}
if redis.call('HGET', KEYS[1], 'state') == 'queued' then
  redis.call('HSET', KEYS[1], 'state', 'running', 'started', ARGV[2])
end
return {'run', redis.call('LINDEX', KEYS[2], ARGV[1])}`,
  },
  // KEYS: meta, items, results, started. ARGV: now, ttl, index, result JSON, outcome counter.
  record: {
    keys: 4,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
if redis.call('HSETNX', KEYS[3], ARGV[3], ARGV[4]) == 0 then return 'duplicate' end
${FOLLOW_TTL('KEYS[3]')}
redis.call('HINCRBY', KEYS[1], ARGV[5], 1)
${FINISH}`,
  },
  // KEYS: meta, items, results, started. ARGV: now, ttl, cancelled result JSON.
  cancel: {
    keys: 4,
    lua: `
if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end
local state = redis.call('HGET', KEYS[1], 'state')
if state == 'completed' or state == 'failed' or state == 'cancelled' then return state end
redis.call('HSET', KEYS[1], 'cancel', 1)
local total = tonumber(redis.call('HGET', KEYS[1], 'total'))
local n = 0
for i = 0, total - 1 do
  if redis.call('HEXISTS', KEYS[3], i) == 0 and redis.call('HEXISTS', KEYS[4], i) == 0 then
    redis.call('HSET', KEYS[3], i, ARGV[3])
    n = n + 1
  end
end
if n > 0 then
  redis.call('HINCRBY', KEYS[1], 'cancelled', n)
  ${FOLLOW_TTL('KEYS[3]')}
end
${FINISH}`,
  },
} as const;

type ScriptName = keyof typeof SCRIPTS;
type Scripted = Redis & Record<ScriptName, (...args: (string | number)[]) => Promise<unknown>>;

const CANCELLED_JSON = JSON.stringify({ status: 'cancelled' });

export class RedisJobStore {
  readonly #client: Scripted;
  readonly #prefix: string;
  readonly #ttlMs: number;

  /** `client` must not use an ioredis keyPrefix (scripts name keys themselves). */
  constructor(client: Redis, options: { keyPrefix: string; ttlMs: number }) {
    for (const [name, { keys, lua }] of Object.entries(SCRIPTS))
      if (!(name in client)) client.defineCommand(name, { numberOfKeys: keys, lua });
    this.#client = client as Scripted;
    this.#prefix = options.keyPrefix;
    this.#ttlMs = options.ttlMs;
  }

  #keys(id: string): [string, string, string, string] {
    const meta = this.#prefix + id;
    return [meta, `${meta}:items`, `${meta}:results`, `${meta}:started`];
  }

  /** Creates a provisional job, or answers the id an idempotency key already names. */
  async create(
    job: { id: string; priority: JobPriority; items: readonly BatchItem[]; digest: string; caller: string },
    idempotencyKey: string | undefined,
  ): Promise<{ created: boolean; id: string }> {
    const [meta, items] = this.#keys(job.id);
    const idem = idempotencyKey ? `${this.#prefix}key:${idempotencyKey}` : `${this.#prefix}key:`;
    const [created, id] = (await this.#client.create(
      meta,
      items,
      idem,
      job.id,
      job.priority,
      Date.now(),
      PROVISIONAL_MS,
      job.digest,
      idempotencyKey ?? '',
      job.caller,
      ...job.items.map((item) => JSON.stringify(item)),
    )) as [number, string];
    return { created: created === 1, id };
  }

  /** The job's items are all in the queue: keep it until it finishes. */
  async accept(id: string): Promise<void> {
    await this.#client.accept(...this.#keys(id));
  }

  async claim(id: string, index: number): Promise<Claim> {
    const [kind, item] = (await this.#client.claim(...this.#keys(id), index, Date.now())) as [
      string,
      string?,
    ];
    if (kind === 'run' && item) return { kind, item: JSON.parse(item) as BatchItem };
    return { kind: kind === 'done' || kind === 'cancelled' ? kind : 'gone' };
  }

  async record(id: string, index: number, result: StoredResult): Promise<RecordOutcome> {
    return (await this.#client.record(
      ...this.#keys(id),
      Date.now(),
      this.#ttlMs,
      index,
      JSON.stringify(result),
      result.status,
    )) as RecordOutcome;
  }

  /** Cancels the items no worker has started; 'gone' when there is no such job. */
  async cancel(id: string): Promise<RecordOutcome> {
    return (await this.#client.cancel(
      ...this.#keys(id),
      Date.now(),
      this.#ttlMs,
      CANCELLED_JSON,
    )) as RecordOutcome;
  }

  /** The job and, for `count` items from `offset`, each item and its stored result. */
  async read(
    id: string,
    offset: number,
    count: number,
  ): Promise<
    { job: StoredJob; items: (BatchItem | undefined)[]; results: (StoredResult | undefined)[] } | undefined
  > {
    const [meta, items, results] = this.#keys(id);
    const pipeline = this.#client.pipeline().hgetall(meta);
    if (count > 0) {
      pipeline.lrange(items, offset, offset + count - 1);
      pipeline.hmget(results, ...Array.from({ length: count }, (_, i) => String(offset + i)));
    }
    const replies = (await pipeline.exec()) ?? [];
    const failed = replies.find(([err]) => err);
    if (failed) throw failed[0];
    const fields = replies[0]?.[1] as Record<string, string>;
    if (!fields?.id) return undefined;
    const parse = <T>(text: string | null | undefined): T | undefined =>
      text ? (JSON.parse(text) as T) : undefined;
    return {
      job: snapshotOf(fields),
      items: ((replies[1]?.[1] as string[] | undefined) ?? []).map((t) => parse<BatchItem>(t)),
      results: ((replies[2]?.[1] as (string | null)[] | undefined) ?? []).map((t) => parse<StoredResult>(t)),
    };
  }
}

function snapshotOf(f: Record<string, string>): StoredJob {
  const num = (name: string) => Number(f[name] ?? 0);
  return {
    id: f.id as string,
    priority: f.priority as JobPriority,
    total: num('total'),
    state: f.state as JobState,
    createdAt: num('created'),
    ...(f.started ? { startedAt: num('started') } : {}),
    ...(f.completed ? { completedAt: num('completed') } : {}),
    succeeded: num('succeeded'),
    failed: num('failed'),
    cancelled: num('cancelled'),
    cancelRequested: f.cancel === '1',
    accepted: f.accepted === '1',
    digest: f.digest ?? '',
    caller: f.caller || ANONYMOUS,
  };
}
