/**
 * The model store: turns an artifact URI (and its expected sha256) into a verified local model directory.
 *
 * `file://` directories are used in place. Remote artifacts are fetched into a staging directory, verified
 * (the archive's digest, or the directory's manifest digest), unpacked, checked for the Hugging Face layout
 * and landed in the content-addressed cache; a later resolve with the same sha256 is a cache hit. Fetches
 * are single-flight: two resolves of the same artifact share one download and one progress.
 * @module
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config.js';
import { ArtifactInvalidError } from '../errors.js';
import type { RuntimeMetrics } from '../metrics.js';
import { extractArchive } from './archive.js';
import { checkModelDirectory, resolveArtifact } from './artifact.js';
import { type CacheEntry, cacheKey, ModelCache } from './cache.js';
import { manifestDigest } from './digest.js';
import { downloadFile, retrying } from './download.js';
import { HttpSource } from './http-source.js';
import { DownloadProgress } from './progress.js';
import { createS3Client, S3Source } from './s3-source.js';
import type { RemoteFile, RemoteSource } from './source.js';
import { type ArtifactLocation, parseArtifactUri } from './uri.js';

/** A verified local artifact. */
export interface ResolvedArtifact {
  readonly dir: string;
  /** The digest that was checked (or, for a remote artifact without one configured, computed). */
  readonly sha256?: string;
  /** The cache entry holding it; absent for file:// directories. */
  readonly cacheKey?: string;
}

/** One resolve in progress: its progress, shared by everyone waiting on the same artifact. */
export interface Fetch {
  readonly progress: DownloadProgress;
  readonly result: Promise<ResolvedArtifact>;
}

export interface ModelStoreOptions {
  readonly config: Pick<RuntimeConfig, 'cache' | 'download' | 's3'>;
  readonly logger: Logger;
  readonly metrics?: RuntimeMetrics;
  /** First retry delay of downloads (tests shorten it). */
  readonly backoffMs?: number;
}

export class ModelStore {
  readonly cache: ModelCache;
  private readonly fetches = new Map<string, Fetch>();
  /** Entries this process serves from, per URI: never evicted to make room for another artifact. */
  private readonly inUse = new Map<string, string>();
  private initialised: Promise<void> | undefined;
  private s3: ReturnType<typeof createS3Client> | undefined;

  constructor(private readonly options: ModelStoreOptions) {
    this.cache = new ModelCache(options.config.cache.dir, options.config.cache.maxBytes);
  }

  /** Resolves `uri`, joining a fetch of the same artifact that is already running. */
  fetch(uri: string, sha256?: string): Fetch {
    const key = sha256 ? cacheKey(sha256) : `uri:${uri}`;
    const running = this.fetches.get(key);
    if (running) return running;
    const progress = new DownloadProgress();
    const metrics = this.options.metrics;
    if (metrics) {
      progress.on('bytes', (n) => metrics.downloadBytes.inc(n));
      progress.on('change', (s) => {
        metrics.setDownloadState(s.state);
        metrics.downloadSize.set(s.bytesTotal);
      });
    }
    const result = this.resolve(uri, sha256, progress).finally(() => this.fetches.delete(key));
    const fetch = { progress, result };
    this.fetches.set(key, fetch);
    // The caller handles rejections; this keeps a fetch nobody awaits any more from crashing the process.
    result.catch(() => undefined);
    return fetch;
  }

  private async resolve(
    uri: string,
    sha256: string | undefined,
    progress: DownloadProgress,
  ): Promise<ResolvedArtifact> {
    const location = parseArtifactUri(uri);
    if (location.scheme === 'file') {
      progress.set('local');
      return resolveArtifact(uri, sha256);
    }
    this.initialised ??= this.cache.init();
    await this.initialised;
    if (sha256) {
      const hit = await this.cache.lookup(sha256);
      if (hit) {
        this.options.metrics?.cacheHits.inc();
        progress.expect(hit.bytes);
        progress.set('cached');
        return this.use(uri, hit, sha256);
      }
    }
    this.options.metrics?.cacheMisses.inc();
    try {
      const entry = await this.download(uri, location, sha256, progress);
      progress.set('ready');
      return this.use(uri, entry, entry.key.slice('sha256-'.length));
    } catch (error) {
      progress.set('failed');
      throw error;
    }
  }

  private async use(uri: string, entry: CacheEntry, sha256: string): Promise<ResolvedArtifact> {
    this.inUse.set(uri, entry.key);
    await this.updateCacheGauge();
    return { dir: entry.dir, sha256, cacheKey: entry.key };
  }

  private async download(
    uri: string,
    location: Exclude<ArtifactLocation, { scheme: 'file' }>,
    expected: string | undefined,
    progress: DownloadProgress,
  ): Promise<CacheEntry> {
    const source = this.source(uri, location);
    const signal = new AbortController().signal;
    const { maxAttempts } = this.options.config.download;
    const files = await retrying(uri, () => source.list(signal), maxAttempts, this.options.backoffMs);
    const claimed = files.every((f) => f.sha256)
      ? files.map((f) => ({ path: f.path, sha256: f.sha256 as string }))
      : undefined;
    if (expected && claimed && manifestDigest(claimed) !== expected) {
      // The manifest already disagrees with the pinned digest: refuse before fetching a single model byte.
      throw new ArtifactInvalidError(
        uri,
        `sha256 mismatch for the manifest of ${uri}: expected ${expected}, actual ${manifestDigest(claimed)}`,
      );
    }
    const known = files.reduce((sum, f) => sum + (f.size ?? 0), 0);
    progress.expect(known);
    await this.makeRoom(uri, known);
    const staged = await this.cache.stage();
    try {
      const digest = await this.fetchFiles({ uri, location, source, files, staged, progress });
      progress.set('verifying');
      if (expected && digest !== expected) {
        throw new ArtifactInvalidError(
          uri,
          `sha256 mismatch for ${uri}: expected ${expected}, actual ${digest}`,
        );
      }
      let modelDir = join(staged, 'model');
      if (location.layout === 'archive') {
        progress.set('extracting');
        await mkdir(modelDir);
        modelDir = await extractArchive(uri, join(staged, 'artifact.tar.gz'), modelDir);
        // The entry keeps the unpacked directory only; the archive would double its size on disk.
        await rm(join(staged, 'artifact.tar.gz'));
      }
      await checkModelDirectory(uri, modelDir);
      const entry = await this.cache.land(staged, modelDir, digest, uri);
      this.options.logger.info({ uri, sha256: digest, bytes: entry.bytes }, 'Artifact landed in the cache');
      await this.makeRoom(uri, 0, entry.key);
      return entry;
    } catch (error) {
      await this.cache.discard(staged);
      throw error;
    }
  }

  /** Downloads every file; returns the artifact's digest (the archive's, or the directory manifest's). */
  private async fetchFiles(job: {
    uri: string;
    location: Exclude<ArtifactLocation, { scheme: 'file' }>;
    source: RemoteSource;
    files: readonly RemoteFile[];
    staged: string;
    progress: DownloadProgress;
  }): Promise<string> {
    const { uri, location, source, files, staged, progress } = job;
    progress.set('downloading');
    const digests: { path: string; sha256: string }[] = [];
    const base = location.layout === 'archive' ? staged : join(staged, 'model');
    for (const file of files) {
      const { sha256 } = await downloadFile({
        uri,
        source,
        file,
        dest: join(base, file.path),
        progress,
        maxAttempts: this.options.config.download.maxAttempts,
        stallTimeoutMs: this.options.config.download.stallTimeoutMs,
        ...(this.options.backoffMs !== undefined ? { backoffMs: this.options.backoffMs } : {}),
      });
      if (file.sha256 && file.sha256 !== sha256) {
        throw new ArtifactInvalidError(
          uri,
          `sha256 mismatch for ${file.path}: expected ${file.sha256}, actual ${sha256}`,
        );
      }
      digests.push({ path: file.path, sha256 });
    }
    return location.layout === 'archive' ? (digests[0]?.sha256 as string) : manifestDigest(digests);
  }

  /** Evicts least recently used entries so `incoming` bytes fit; entries in use here are kept. */
  private async makeRoom(uri: string, incoming: number, landed?: string): Promise<void> {
    const limit = this.options.config.cache.maxBytes;
    if (incoming > limit) {
      throw new ArtifactInvalidError(
        uri,
        `the artifact needs ${incoming} bytes but MODEL_CACHE_MAX_BYTES is ${limit}`,
      );
    }
    const pinned = new Set(this.inUse.values());
    if (landed) pinned.add(landed);
    const evicted = await this.cache.makeRoom(incoming, pinned);
    if (evicted.length > 0) {
      this.options.metrics?.cacheEvictions.inc(evicted.length);
      this.options.logger.info({ evicted }, 'Evicted least recently used artifacts from the cache');
    }
    await this.updateCacheGauge();
  }

  private async updateCacheGauge(): Promise<void> {
    if (this.options.metrics) this.options.metrics.cacheBytes.set(await this.cache.usedBytes());
  }

  private source(uri: string, location: Exclude<ArtifactLocation, { scheme: 'file' }>): RemoteSource {
    if (location.scheme === 'http') return new HttpSource(uri, location.url, location.layout);
    this.s3 ??= createS3Client(this.options.config.s3);
    return new S3Source(uri, this.s3, location.bucket, location.key, location.layout);
  }

  /** Closes the S3 client's connections. */
  close(): void {
    this.s3?.destroy();
  }
}
