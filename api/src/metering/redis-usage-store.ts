/**
 * Usage buckets in Redis, so every router replica reports the same figures. `record()` only adds to buckets
 * pending in memory; a flush (every second, on `flush()` and on `close()`) writes them in one MULTI/EXEC:
 * HINCRBY/HINCRBYFLOAT on one hash per bucket (with a `servedBy:<model>` field per serving model), SADD of
 * the bucket into a set per hour (the index `buckets()` reads, so no KEYS/SCAN), and EXPIRE on both; the
 * per-version minute counters ride in the same transaction (redis-minutes.ts). A failed flush keeps its
 * buckets and the next flush retries them; a flush whose outcome is unknown (timed out, connection lost after sending) is checked against a
 * per-instance marker written in the same transaction, so a retry never counts twice.
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { ChainableCommander, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ThrottledErrorLog } from '../cache/error-log.js';
import { StoreBacklogFullError, type StoreError, storeError } from '../cache/errors.js';
import { createRedisClient, execWithin, redisReady, withTimeout } from '../cache/redis-client.js';
import { addTo, hoursOf, type Pending, toBucket, writeBucket } from './redis-hours.js';
import { MinuteBatch, minuteKey, recordsOfHash } from './redis-minutes.js';
import {
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
  DEFAULT_FIGURES_RETENTION_HOURS,
  type FiguresWindow,
  type MinuteRecord,
  minuteIncrementOf,
  minutesOf,
  type VersionFigures,
  versionFiguresOf,
} from './version-figures.js';

export interface RedisUsageStoreOptions {
  /** Buckets (and their index) expire this long after their last write. */
  readonly retentionDays: number;
  /** Per-version minute counters expire this long after their minute; default 24 (DEFAULT_FIGURES_RETENTION_HOURS). */
  readonly figuresRetentionHours?: number;
  /** A client to use (not closed by close()); otherwise one is created from `url`. */
  readonly client?: Redis;
  /** Used when no client is passed; default redis://127.0.0.1:6379. */
  readonly url?: string;
  /** Namespace of every key; default `paissive:usage:`. */
  readonly keyPrefix?: string;
  /** How often pending increments are written (ms); default 1000; 0 = only on flush()/close(). */
  readonly flushIntervalMs?: number;
  /** Budget of one flush or read (ms); default 2000. */
  readonly commandTimeoutMs?: number;
  /** Most buckets kept in memory while Redis is unreachable; records that need more are dropped. Default 10,000. */
  readonly maxPendingBuckets?: number;
  readonly maxReconnectDelayMs?: number;
  /** Told of every failure (for router_redis_errors_total). */
  readonly onError?: (operation: 'flush' | 'read' | 'record' | 'connect', error: Error) => void;
  readonly logger?: Logger;
  /** At most one log line per operation kind per this many ms; default 30,000. */
  readonly logIntervalMs?: number;
}

export const DEFAULT_USAGE_PREFIX = 'paissive:usage:';

/** What one flush writes: hourly buckets by id, and minute counters. */
interface Batch {
  readonly hours: Map<string, Pending>;
  readonly minutes: MinuteBatch;
}

const emptyBatch = (): Batch => ({ hours: new Map(), minutes: new MinuteBatch() });
const sizeOf = (batch: Batch | undefined): number => (batch ? batch.hours.size + batch.minutes.size : 0);

export class RedisUsageStore implements UsageStore {
  readonly #client: Redis;
  readonly #ownsClient: boolean;
  readonly #prefix: string;
  readonly #retentionMs: number;
  readonly #figuresRetentionMs: number;
  readonly #timeoutMs: number;
  readonly #maxPending: number;
  readonly #onError: RedisUsageStoreOptions['onError'];
  readonly #log: ThrottledErrorLog;
  /** Key of this instance's marker: the sequence number of its last applied flush. */
  readonly #markerKey: string;
  readonly #timer: NodeJS.Timeout | undefined;
  #pending: Batch = emptyBatch();
  /** A batch that was sent but not confirmed: it may or may not be in Redis. */
  #unsure: { seq: number; batch: Batch } | undefined;
  #seq = 0;
  #flushing: Promise<void> = Promise.resolve();
  #busy = false;
  #dropped = 0;

  constructor(options: RedisUsageStoreOptions) {
    this.#ownsClient = !options.client;
    this.#client =
      options.client ??
      createRedisClient({
        url: options.url,
        maxReconnectDelayMs: options.maxReconnectDelayMs,
        connectionName: 'paissive-router-usage',
      });
    this.#prefix = options.keyPrefix ?? DEFAULT_USAGE_PREFIX;
    this.#retentionMs = options.retentionDays * 24 * HOUR_MS;
    this.#figuresRetentionMs = (options.figuresRetentionHours ?? DEFAULT_FIGURES_RETENTION_HOURS) * HOUR_MS;
    this.#timeoutMs = options.commandTimeoutMs ?? 2000;
    this.#maxPending = options.maxPendingBuckets ?? 10_000;
    this.#onError = options.onError;
    this.#log = new ThrottledErrorLog(options.logger, options.logIntervalMs ?? 30_000);
    this.#markerKey = `${this.#prefix}flushed:${randomUUID()}`;
    this.#client.on('error', this.#onConnectError);
    this.#client.on('ready', this.#onReady);
    const interval = options.flushIntervalMs ?? 1000;
    if (interval > 0) {
      this.#timer = setInterval(() => {
        if (!this.#busy) this.flush().catch(() => undefined);
      }, interval);
      // Flushing must not keep a process alive that has nothing else to do; shutdown calls close().
      this.#timer.unref();
    }
  }

  /** Whether Redis answers now (for /readyz detail and tests). */
  healthy(): boolean {
    return redisReady(this.#client);
  }

  /** Records dropped because too many buckets were pending (Redis unreachable for long). */
  get droppedEvents(): number {
    return this.#dropped;
  }

  /** Buckets and minute counters held in memory, waiting to be written. */
  get pendingBuckets(): number {
    return sizeOf(this.#pending) + sizeOf(this.#unsure?.batch);
  }

  record(event: UsageEvent): Promise<void> {
    const start = hourStart(event.at);
    const incs = incrementsOf(event).map((inc) => {
      const member = JSON.stringify([inc.model, inc.version, event.caller]);
      return { id: `${start}:${member}`, member, values: inc.values };
    });
    const minute = minuteIncrementOf(event);
    const fresh =
      new Set(incs.filter((inc) => !this.#pending.hours.has(inc.id)).map((inc) => inc.id)).size +
      (minute && this.#pending.minutes.isNew(minute) ? 1 : 0);
    if (fresh > 0 && this.pendingBuckets + fresh > this.#maxPending) {
      this.#dropped++;
      this.#fail('record', new StoreBacklogFullError(`${this.pendingBuckets} usage buckets pending`));
      return Promise.resolve();
    }
    for (const inc of incs)
      addTo(this.#pending.hours, inc.id, { start, member: inc.member, values: inc.values });
    if (minute) this.#pending.minutes.add(minute);
    return Promise.resolve();
  }

  /**
   * Hourly buckets that start in [from, to), as Redis has them. This replica's pending increments are
   * flushed first, so a replica always sees what it recorded; other replicas' may lag one flush interval.
   */
  async buckets(query: UsageQuery): Promise<UsageBucket[]> {
    await this.flush().catch(() => undefined);
    const hours = hoursOf(query, this.#retentionMs);
    if (hours.length === 0) return [];
    const sets = await this.#read(
      hours.reduce((p, h) => p.smembers(this.#indexKey(h)), this.#client.pipeline()),
    );
    const wanted: { start: number; member: string; names: string[] }[] = [];
    hours.forEach((start, i) => {
      for (const member of sets[i] as string[]) {
        const names = JSON.parse(member) as string[];
        if (matches(query, names[0] ?? '', names[2] ?? '')) wanted.push({ start, member, names });
      }
    });
    if (wanted.length === 0) return [];
    const hashes = await this.#read(
      wanted.reduce((p, w) => p.hgetall(this.#bucketKey(w.start, w.member)), this.#client.pipeline()),
    );
    const result: UsageBucket[] = [];
    wanted.forEach((w, i) => {
      const hash = hashes[i] as Record<string, string>;
      if (Object.keys(hash).length > 0) result.push(toBucket(w.start, w.names, hash));
    });
    return result.sort((a, b) => a.start - b.start);
  }

  /**
   * Each version's figures of `model` over the minutes that overlap the window, as Redis has them: every
   * replica's counters added up. This replica's pending increments are flushed first, as for `buckets()`.
   */
  async versionFigures(model: string, window: FiguresWindow): Promise<Record<string, VersionFigures>> {
    await this.flush().catch(() => undefined);
    const minutes = minutesOf(window, this.#figuresRetentionMs);
    if (minutes.length === 0) return {};
    const hashes = await this.#read(
      minutes.reduce((p, m) => p.hgetall(minuteKey(this.#prefix, m, model)), this.#client.pipeline()),
    );
    const records: MinuteRecord[] = minutes.flatMap((start, i) =>
      recordsOfHash(start, model, hashes[i] as Record<string, string>),
    );
    return versionFiguresOf(records);
  }

  /** Writes what is pending. Rejects when Redis fails; nothing is lost, the next flush retries it. */
  flush(): Promise<void> {
    const run = this.#flushing.then(() => this.#flushOnce());
    this.#flushing = run.catch(() => undefined);
    return run;
  }

  /** Stops the timer and makes a last flush (rejects if it fails: what was pending is then lost). */
  async close(): Promise<void> {
    clearInterval(this.#timer);
    try {
      await this.flush();
    } finally {
      this.#client.off('error', this.#onConnectError);
      this.#client.off('ready', this.#onReady);
      if (this.#ownsClient) this.#client.disconnect();
    }
  }

  async #flushOnce(): Promise<void> {
    this.#busy = true;
    try {
      if (this.#unsure) {
        const marker = this.#client.get(this.#markerKey);
        const applied = await this.#run('flush', () => withTimeout(marker, this.#timeoutMs, 'flush'));
        if (applied === String(this.#unsure.seq)) this.#unsure = undefined;
      }
      if (sizeOf(this.#pending) === 0 && !this.#unsure) return;
      // Not applied (or never sent): it joins what is pending under a new sequence number.
      const batch = this.#unsure?.batch ?? emptyBatch();
      for (const [id, p] of this.#pending.hours) addTo(batch.hours, id, p);
      batch.minutes.addAll(this.#pending.minutes);
      this.#pending = emptyBatch();
      this.#unsure = { seq: ++this.#seq, batch };
      const tx = this.#transaction(this.#unsure.seq, batch);
      await this.#run('flush', () => execWithin(tx, this.#timeoutMs, 'flush'));
      this.#unsure = undefined;
    } finally {
      this.#busy = false;
    }
  }

  #read(pipeline: ChainableCommander): Promise<unknown[]> {
    return this.#run('read', () => execWithin(pipeline, this.#timeoutMs, 'read'));
  }

  #transaction(seq: number, batch: Batch): ChainableCommander {
    const ttl = Math.ceil((this.#retentionMs + HOUR_MS) / 1000);
    const tx = this.#client.multi();
    const hours = new Set<number>();
    for (const { start, member, values } of batch.hours.values()) {
      writeBucket(tx, this.#bucketKey(start, member), values, ttl);
      tx.sadd(this.#indexKey(start), member);
      hours.add(start);
    }
    for (const start of hours) tx.expire(this.#indexKey(start), ttl);
    batch.minutes.write(tx, this.#prefix, this.#figuresRetentionMs);
    return tx.set(this.#markerKey, String(seq), 'EX', ttl);
  }

  /** Runs one store call; a failure is reported and rethrown as a StoreError. */
  async #run<T>(operation: 'flush' | 'read', work: () => Promise<T>): Promise<T> {
    try {
      const result = await work();
      this.#log.recovered({ store: 'usage' });
      return result;
    } catch (err) {
      throw this.#fail(operation, err);
    }
  }

  #bucketKey(start: number, member: string): string {
    return `${this.#prefix}bucket:${start}:${member}`;
  }

  #indexKey(start: number): string {
    return `${this.#prefix}hour:${start}`;
  }

  readonly #onConnectError = (err: Error) => this.#fail('connect', err);
  readonly #onReady = () => this.#log.recovered({ store: 'usage' });

  #fail(operation: 'flush' | 'read' | 'record' | 'connect', err: unknown): StoreError {
    const error = storeError(operation, err);
    this.#onError?.(operation, error);
    this.#log.error(operation, error, { store: 'usage', code: error.code, pending: this.pendingBuckets });
    return error;
  }
}
