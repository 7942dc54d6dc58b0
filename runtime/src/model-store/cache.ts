/**
 * The on-disk model cache: content-addressed entries (`objects/sha256-<hex>/`), landed by one rename from a
 * staging directory (`tmp/`) so a reader sees a whole verified entry or none, with a size limit kept by
 * evicting the least recently used entries first.
 *
 * Several runtimes may share one cache (a PVC): landing is a rename, so two processes that fetched the same
 * artifact keep one copy; eviction renames an entry into `tmp/` before deleting it, so it vanishes at once.
 * An evicted entry that a process already loaded keeps working: onnxruntime and the tokenizer hold their
 * files in memory after the load.
 * @module
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/** A landed, verified artifact. */
export interface CacheEntry {
  /** `sha256-<hex>`: the artifact's digest (of the archive, or of the directory's manifest). */
  readonly key: string;
  /** The model directory (inside the entry). */
  readonly dir: string;
  readonly bytes: number;
}

interface EntryMeta {
  readonly uri: string;
  readonly modelPath: string;
  readonly bytes: number;
  readonly landedAt: string;
}

const ENTRY_FILE = 'entry.json';
/** Staging directories older than this belong to a process that died; removing them frees their space. */
const STALE_STAGING_MS = 24 * 3600 * 1000;

export const cacheKey = (sha256: string) => `sha256-${sha256}`;

/** Bytes of every regular file under `dir`. */
export async function directoryBytes(dir: string): Promise<number> {
  let total = 0;
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) total += (await stat(join(entry.parentPath, entry.name))).size;
  }
  return total;
}

export class ModelCache {
  private readonly objects: string;
  private readonly staging: string;

  constructor(
    readonly dir: string,
    readonly maxBytes: number,
  ) {
    this.objects = join(dir, 'objects');
    this.staging = join(dir, 'tmp');
  }

  /** Creates the layout and clears staging directories left by dead processes. */
  async init(): Promise<void> {
    await mkdir(this.objects, { recursive: true });
    await mkdir(this.staging, { recursive: true });
    const now = Date.now();
    for (const name of await readdir(this.staging)) {
      const path = join(this.staging, name);
      const info = await stat(path).catch(() => undefined);
      if (info && now - info.mtimeMs > STALE_STAGING_MS) await rm(path, { recursive: true, force: true });
    }
  }

  /** The entry for `sha256`, marked as just used; undefined when absent or unreadable. */
  async lookup(sha256: string): Promise<CacheEntry | undefined> {
    const key = cacheKey(sha256);
    const meta = await this.readMeta(key);
    if (!meta) return undefined;
    const now = new Date();
    await utimes(join(this.objects, key, ENTRY_FILE), now, now).catch(() => undefined);
    return { key, dir: join(this.objects, key, meta.modelPath), bytes: meta.bytes };
  }

  /** A fresh staging directory for one fetch. */
  async stage(): Promise<string> {
    const path = join(this.staging, `fetch-${randomBytes(6).toString('hex')}`);
    await mkdir(path, { recursive: true });
    return path;
  }

  async discard(staged: string): Promise<void> {
    await rm(staged, { recursive: true, force: true });
  }

  /**
   * Lands `staged` (whose model directory is `modelDir`, inside it) as the entry for `sha256`. When another
   * process landed the same digest first, keeps theirs and discards ours: the content is the same.
   */
  async land(staged: string, modelDir: string, sha256: string, uri: string): Promise<CacheEntry> {
    const key = cacheKey(sha256);
    const bytes = await directoryBytes(modelDir);
    const meta: EntryMeta = {
      uri,
      modelPath: relative(staged, modelDir),
      bytes,
      landedAt: new Date().toISOString(),
    };
    await writeFile(join(staged, ENTRY_FILE), `${JSON.stringify(meta, null, 2)}\n`);
    try {
      await rename(staged, join(this.objects, key));
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw error;
      await this.discard(staged);
      const existing = await this.lookup(sha256);
      if (existing) return existing;
      throw error;
    }
    return { key, dir: join(this.objects, key, meta.modelPath), bytes };
  }

  /** Entries, least recently used first. */
  async entries(): Promise<{ key: string; bytes: number; usedAt: number }[]> {
    const list: { key: string; bytes: number; usedAt: number }[] = [];
    for (const key of await readdir(this.objects).catch(() => [] as string[])) {
      const meta = await this.readMeta(key);
      const info = await stat(join(this.objects, key, ENTRY_FILE)).catch(() => undefined);
      if (meta && info) list.push({ key, bytes: meta.bytes, usedAt: info.mtimeMs });
    }
    return list.sort((a, b) => a.usedAt - b.usedAt);
  }

  /** Bytes held by landed entries. */
  async usedBytes(): Promise<number> {
    return (await this.entries()).reduce((sum, e) => sum + e.bytes, 0);
  }

  /**
   * Evicts least recently used entries, never one in `pinned`, until `incoming` more bytes fit under the limit
   * (or nothing evictable is left). Returns the evicted keys.
   */
  async makeRoom(incoming: number, pinned: ReadonlySet<string>): Promise<string[]> {
    const entries = await this.entries();
    let used = entries.reduce((sum, e) => sum + e.bytes, 0);
    const evicted: string[] = [];
    for (const entry of entries) {
      if (used + incoming <= this.maxBytes) break;
      if (pinned.has(entry.key)) continue;
      const doomed = join(this.staging, `evict-${randomBytes(6).toString('hex')}`);
      try {
        await rename(join(this.objects, entry.key), doomed);
      } catch {
        continue; // another process evicted it first
      }
      await rm(doomed, { recursive: true, force: true });
      used -= entry.bytes;
      evicted.push(entry.key);
    }
    return evicted;
  }

  private async readMeta(key: string): Promise<EntryMeta | undefined> {
    try {
      return JSON.parse(await readFile(join(this.objects, key, ENTRY_FILE), 'utf8')) as EntryMeta;
    } catch {
      return undefined;
    }
  }
}
