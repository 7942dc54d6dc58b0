/**
 * What the in-memory job store holds, by caller and in all, against its caps in items and bytes. Bytes are
 * the JSON size of a job's requests and results: what the process keeps alive for the job's lifetime.
 *
 * Admission charges a job's requests plus, per item, the size of the small failure record that replaces a
 * result with no room, so that record always fits and a running job can always finish within the caps.
 * A result is charged only for what it adds beyond that reserve. No I/O; the clock is injectable.
 * @module
 */
import { JobStoreFullError, JobTooLargeError } from './errors.js';
import type { StoredResult } from './item-policy.js';

export interface JobStoreCaps {
  readonly maxItems: number;
  readonly maxItemsPerCaller: number;
  readonly maxBytes: number;
  readonly maxBytesPerCaller: number;
}

export interface Holding {
  items: number;
  bytes: number;
}

/** What an item's result becomes when neither its caller's share nor the store has room for it. */
export const NO_ROOM_RESULT: StoredResult = Object.freeze({
  status: 'failed',
  error: {
    code: 'job_store_full',
    message:
      "The result was dropped: the in-memory job store had no room for it (the caller's or the total byte cap)",
  },
});

const jsonBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value));

/** Bytes reserved per item at admission: the record that replaces a result that does not fit. */
export const RESULT_RESERVE_BYTES = jsonBytes(NO_ROOM_RESULT);

/** What admitting a job of these items charges. */
export function requestCharge(items: readonly unknown[]): Holding {
  return { items: items.length, bytes: jsonBytes(items) + items.length * RESULT_RESERVE_BYTES };
}

/** What storing this result adds beyond the item's reserve (0 for cancellations and short failures). */
export function resultCharge(result: StoredResult): number {
  return Math.max(0, jsonBytes(result) - RESULT_RESERVE_BYTES);
}

export class JobStoreLedger {
  readonly caps: JobStoreCaps;
  readonly #total: Holding = { items: 0, bytes: 0 };
  readonly #callers = new Map<string, Holding>();

  constructor(caps: JobStoreCaps) {
    this.caps = caps;
  }

  /** What the caller holds, or the whole store without one (a copy). */
  held(caller?: string): Holding {
    const h = caller === undefined ? this.#total : this.#callers.get(caller);
    return { items: h?.items ?? 0, bytes: h?.bytes ?? 0 };
  }

  /** Throws JobTooLargeError (413) when a job this size would not fit even an empty store. */
  checkSize(need: Holding): void {
    const maxItems = Math.min(this.caps.maxItems, this.caps.maxItemsPerCaller);
    const maxBytes = Math.min(this.caps.maxBytes, this.caps.maxBytesPerCaller);
    if (need.items <= maxItems && need.bytes <= maxBytes) return;
    throw new JobTooLargeError(
      `A job of ${need.items} items and ${need.bytes} bytes can never fit the in-memory job store ` +
        `(at most ${maxItems} items and ${maxBytes} bytes per caller); split it into smaller batches`,
      { items: need.items, bytes: need.bytes, max_items: maxItems, max_bytes: maxBytes },
    );
  }

  fitsCaller(caller: string, need: Holding): boolean {
    const h = this.held(caller);
    return (
      h.items + need.items <= this.caps.maxItemsPerCaller &&
      h.bytes + need.bytes <= this.caps.maxBytesPerCaller
    );
  }

  fitsTotal(need: Holding): boolean {
    return (
      this.#total.items + need.items <= this.caps.maxItems &&
      this.#total.bytes + need.bytes <= this.caps.maxBytes
    );
  }

  add(caller: string, h: Holding): void {
    const mine = this.#callers.get(caller) ?? { items: 0, bytes: 0 };
    mine.items += h.items;
    mine.bytes += h.bytes;
    this.#callers.set(caller, mine);
    this.#total.items += h.items;
    this.#total.bytes += h.bytes;
  }

  remove(caller: string, h: Holding): void {
    const mine = this.#callers.get(caller);
    if (mine) {
      mine.items -= h.items;
      mine.bytes -= h.bytes;
      if (mine.items <= 0 && mine.bytes <= 0) this.#callers.delete(caller);
    }
    this.#total.items -= h.items;
    this.#total.bytes -= h.bytes;
  }
}

/** What the room needs to know of a job. */
export interface HeldJob {
  readonly id: string;
  readonly caller: string;
  readonly completedAt?: number;
  /** What the job holds in the store (requests, reserves, results), released when it is dropped. */
  readonly charge: Holding;
}

/**
 * The store's room policy over its jobs: admission against the caps, results charged as they arrive, and
 * dropping jobs: expired ones, and when the whole store is full the oldest finished ones early, since nobody
 * waits on them to run. A caller's own finished jobs are never evicted to make room for its next job: they
 * hold results it may not have read; it gets a 429 until they expire. `drop` removes a job everywhere else.
 */
export class JobStoreRoom<J extends HeldJob> {
  readonly #ledger: JobStoreLedger;
  readonly #ttlMs: number;
  readonly #drop: (job: J) => void;
  readonly #now: () => number;
  /** Finished jobs in the order they finished: the order they expire in (one TTL for all) and are evicted in. */
  readonly #finished = new Map<string, J>();

  constructor(options: { caps: JobStoreCaps; ttlMs: number; drop: (job: J) => void; now?: () => number }) {
    this.#ledger = new JobStoreLedger(options.caps);
    this.#ttlMs = options.ttlMs;
    this.#drop = options.drop;
    this.#now = options.now ?? Date.now;
  }

  held(caller?: string): Holding {
    return this.#ledger.held(caller);
  }

  /**
   * The charge of a new job of these items, or a refusal: JobTooLargeError (413) when it could never fit,
   * JobStoreFullError (429) when the caller's share is full, or the store is, after dropping every finished
   * job. The caller adds the job with `hold` once it exists.
   */
  admit(caller: string, items: readonly unknown[]): Holding {
    this.dropExpired();
    const need = requestCharge(items);
    this.#ledger.checkSize(need);
    const { caps } = this.#ledger;
    if (!this.#ledger.fitsCaller(caller, need)) {
      const limits = { max_items: caps.maxItemsPerCaller, max_bytes: caps.maxBytesPerCaller };
      throw this.#full(
        "the caller's share",
        { cap: 'caller', held: this.held(caller), needed: need, ...limits },
        caller,
      );
    }
    if (!this.#makeRoom(need)) {
      const limits = { max_items: caps.maxItems, max_bytes: caps.maxBytes };
      throw this.#full('the store', { cap: 'total', needed: need, ...limits });
    }
    return need;
  }

  hold(job: J): void {
    this.#ledger.add(job.caller, job.charge);
  }

  /** The result to keep: the given one when there is room for it, else NO_ROOM_RESULT (already reserved). */
  keep(job: J, result: StoredResult): StoredResult {
    const extra = { items: 0, bytes: resultCharge(result) };
    if (extra.bytes === 0) return result;
    if (!this.#ledger.fitsCaller(job.caller, extra) || !this.#makeRoom(extra)) return NO_ROOM_RESULT;
    this.#ledger.add(job.caller, extra);
    job.charge.bytes += extra.bytes;
    return result;
  }

  finished(job: J): void {
    this.#finished.set(job.id, job);
  }

  /** Whether the job has outlived its TTL (the sweep drops it a little later). */
  expired(job: J): boolean {
    return job.completedAt !== undefined && this.#now() - job.completedAt >= this.#ttlMs;
  }

  dropExpired(): void {
    for (const job of this.#finished.values()) {
      if (!this.expired(job)) return;
      this.#remove(job);
    }
  }

  /** Drops the oldest finished jobs until `need` fits the total caps; whether it fits. */
  #makeRoom(need: Holding): boolean {
    for (const job of this.#finished.values()) {
      if (this.#ledger.fitsTotal(need)) return true;
      this.#remove(job);
    }
    return this.#ledger.fitsTotal(need);
  }

  #remove(job: J): void {
    this.#finished.delete(job.id);
    this.#ledger.remove(job.caller, job.charge);
    this.#drop(job);
  }

  /**
   * Room appears no sooner than the oldest finished job (the caller's own, when its share is full) expires;
   * with none finished, no sooner than a TTL from now.
   */
  #full(what: string, details: Record<string, unknown>, caller?: string): JobStoreFullError {
    let expires = this.#now() + this.#ttlMs;
    for (const job of this.#finished.values()) {
      if (caller !== undefined && job.caller !== caller) continue;
      expires = (job.completedAt as number) + this.#ttlMs;
      break;
    }
    return new JobStoreFullError(
      `The in-memory job store has no room for this job in ${what}; retry when earlier jobs expire`,
      Math.max(1, Math.ceil((expires - this.#now()) / 1000)),
      details,
    );
  }
}
