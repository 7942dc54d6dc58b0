/**
 * The response cache in this process's memory (local mode, no Redis): an LRU bounded by entry count and by
 * total body bytes, so a burst of large answers cannot take the router's heap. A Map keeps insertion order,
 * so re-inserting on a hit makes "least recently used" the first key: get, set and eviction are O(1).
 * @module
 */
import type { CachedResponse, CacheLookup, ResponseCache } from './response-cache.js';

export interface MemoryCacheOptions {
  /** Most entries kept; default 10,000. */
  readonly maxEntries?: number;
  /** Most body bytes (UTF-8) kept over all entries; default 64 MiB. An entry larger than this is not kept. */
  readonly maxBytes?: number;
  /** Clock (epoch ms), for tests. */
  readonly now?: () => number;
}

interface Entry {
  readonly value: CachedResponse;
  readonly expiresAt: number;
  readonly bytes: number;
}

const MISS: CacheLookup = { status: 'miss' };

export class MemoryResponseCache implements ResponseCache {
  readonly kind = 'memory';
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #maxBytes: number;
  readonly #now: () => number;
  #bytes = 0;

  constructor(options: MemoryCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? 10_000;
    this.#maxBytes = options.maxBytes ?? 64 * 1024 * 1024;
    this.#now = options.now ?? Date.now;
  }

  /** Entries and body bytes held now (expired entries not yet looked up included). */
  get size(): { entries: number; bytes: number } {
    return { entries: this.#entries.size, bytes: this.#bytes };
  }

  get(key: string): Promise<CacheLookup> {
    const entry = this.#entries.get(key);
    if (!entry) return Promise.resolve(MISS);
    this.#entries.delete(key);
    if (entry.expiresAt <= this.#now()) {
      this.#bytes -= entry.bytes;
      return Promise.resolve(MISS);
    }
    this.#entries.set(key, entry);
    return Promise.resolve({ status: 'hit', value: entry.value });
  }

  set(key: string, value: CachedResponse, ttlSeconds: number): Promise<void> {
    this.#delete(key);
    const bytes = Buffer.byteLength(value.body, 'utf8');
    if (ttlSeconds > 0 && bytes <= this.#maxBytes && this.#maxEntries > 0) {
      this.#entries.set(key, { value, expiresAt: this.#now() + ttlSeconds * 1000, bytes });
      this.#bytes += bytes;
      this.#evict();
    }
    return Promise.resolve();
  }

  healthy(): boolean {
    return true;
  }

  close(): Promise<void> {
    this.#entries.clear();
    this.#bytes = 0;
    return Promise.resolve();
  }

  #delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }

  /** Drops least recently used entries until both bounds hold. */
  #evict(): void {
    while (this.#entries.size > this.#maxEntries || this.#bytes > this.#maxBytes) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) return;
      this.#delete(oldest.value);
    }
  }
}
