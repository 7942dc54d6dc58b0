/**
 * Local mode's stand-in for the API server: holds the AIModels and ModelVersions read from a folder of
 * YAML, keeps their status, bumps metadata.generation when a spec changes, and picks up edits to the
 * folder without a restart.
 * @module
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { type FSWatcher, watch } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { Logger } from 'pino';
import {
  type AIModel,
  type AIModelStatus,
  type ManifestError,
  type ModelVersion,
  type ModelVersionStatus,
  parseManifests,
} from '../../../crds/src/index.js';

export interface StoreSnapshot {
  readonly aiModels: readonly AIModel[];
  readonly modelVersions: readonly ModelVersion[];
  readonly errors: readonly ManifestError[];
  /** Absolute path of the file each object came from, keyed `Kind/name` (relative artifact URIs resolve against it). */
  readonly sources: ReadonlyMap<string, string>;
  readonly loaded: boolean;
}

interface Entry<T> {
  object: T;
  source: string;
  specHash: string;
}

const MANIFEST_FILE = /\.(ya?ml|json)$/i;
const RELOAD_DEBOUNCE_MS = 150;

const hashOf = (value: unknown): string =>
  createHash('sha256')
    .update(JSON.stringify(value) ?? '')
    .digest('hex');

async function manifestFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && MANIFEST_FILE.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

export interface ManifestStoreOptions {
  readonly dir: string;
  readonly logger: Logger;
  readonly namespace?: string;
}

/**
 * Events: `change` after a reload changed any spec (or the set of objects), `status` after a status write.
 */
export class ManifestStore extends EventEmitter {
  readonly #dir: string;
  readonly #logger: Logger;
  readonly #namespace: string;
  #models = new Map<string, Entry<AIModel>>();
  #versions = new Map<string, Entry<ModelVersion>>();
  #errors: ManifestError[] = [];
  #loaded = false;
  #watcher?: FSWatcher;
  #timer?: NodeJS.Timeout;
  #reloading: Promise<void> = Promise.resolve();

  constructor(options: ManifestStoreOptions) {
    super();
    this.#dir = options.dir;
    this.#logger = options.logger;
    this.#namespace = options.namespace ?? 'default';
  }

  get dir(): string {
    return this.#dir;
  }

  /** Reads the folder once. Later edits arrive through `watch()`. */
  async load(): Promise<void> {
    const files = await manifestFiles(this.#dir);
    const models = new Map<string, Entry<AIModel>>();
    const versions = new Map<string, Entry<ModelVersion>>();
    const errors: ManifestError[] = [];
    for (const file of files) {
      const parsed = parseManifests(await readFile(file, 'utf8'), relative(process.cwd(), file) || file);
      errors.push(...parsed.errors);
      this.#collect(parsed.aiModels, file, models, this.#models, errors);
      this.#collect(parsed.modelVersions, file, versions, this.#versions, errors);
    }
    const changed =
      this.#changed(models, this.#models) || this.#changed(versions, this.#versions) || !this.#loaded;
    this.#models = models;
    this.#versions = versions;
    this.#errors = errors;
    this.#loaded = true;
    for (const error of errors) {
      this.#logger.warn({ source: error.source, kind: error.kind, object: error.name }, error.message);
    }
    this.#logger.info(
      { dir: this.#dir, aiModels: models.size, modelVersions: versions.size, errors: errors.length },
      'Loaded manifests',
    );
    if (changed) this.emit('change');
  }

  #collect<T extends AIModel | ModelVersion>(
    objects: readonly T[],
    source: string,
    into: Map<string, Entry<T>>,
    previous: Map<string, Entry<T>>,
    errors: ManifestError[],
  ): void {
    for (const parsed of objects) {
      const name = parsed.metadata.name;
      const existing = into.get(name);
      if (existing) {
        errors.push({
          source: relative(process.cwd(), source),
          kind: parsed.kind,
          name,
          message: `duplicate ${parsed.kind} ${name}: already defined in ${relative(process.cwd(), existing.source)}`,
        });
        continue;
      }
      const specHash = hashOf(parsed.spec);
      const before = previous.get(name);
      const generation = before
        ? (before.object.metadata.generation ?? 1) + (before.specHash === specHash ? 0 : 1)
        : 1;
      const object = {
        ...parsed,
        metadata: {
          ...parsed.metadata,
          namespace: this.#namespace,
          generation,
          uid: before?.object.metadata.uid ?? hashOf(`${parsed.kind}/${name}/${source}`).slice(0, 32),
          creationTimestamp: before?.object.metadata.creationTimestamp ?? new Date().toISOString(),
        },
        status: before?.object.status,
      } as T;
      into.set(name, { object, source, specHash });
    }
  }

  #changed<T>(next: Map<string, Entry<T>>, previous: Map<string, Entry<T>>): boolean {
    if (next.size !== previous.size) return true;
    for (const [name, entry] of next) if (previous.get(name)?.specHash !== entry.specHash) return true;
    return false;
  }

  /** Watches the folder and reloads (debounced) on any edit. */
  watch(): void {
    this.#watcher = watch(this.#dir, { recursive: true }, () => {
      clearTimeout(this.#timer);
      this.#timer = setTimeout(() => {
        this.#reloading = this.#reloading
          .then(() => this.load())
          .catch((err: unknown) => this.#logger.error({ err }, 'Reloading manifests failed'));
      }, RELOAD_DEBOUNCE_MS);
    });
    this.#watcher.on('error', (err) => this.#logger.error({ err }, 'Watching manifests failed'));
  }

  close(): void {
    clearTimeout(this.#timer);
    this.#watcher?.close();
  }

  snapshot(): StoreSnapshot {
    const sources = new Map<string, string>();
    for (const [name, e] of this.#models) sources.set(`AIModel/${name}`, e.source);
    for (const [name, e] of this.#versions) sources.set(`ModelVersion/${name}`, e.source);
    return {
      aiModels: [...this.#models.values()].map((e) => e.object),
      modelVersions: [...this.#versions.values()].map((e) => e.object),
      errors: this.#errors,
      sources,
      loaded: this.#loaded,
    };
  }

  /** Writes status (the status subresource); returns whether anything changed. */
  setAIModelStatus(name: string, status: AIModelStatus): boolean {
    return this.#setStatus(this.#models, name, status);
  }

  setModelVersionStatus(name: string, status: ModelVersionStatus): boolean {
    return this.#setStatus(this.#versions, name, status);
  }

  #setStatus<T extends AIModel | ModelVersion>(
    map: Map<string, Entry<T>>,
    name: string,
    status: T['status'],
  ): boolean {
    const entry = map.get(name);
    if (!entry || hashOf(entry.object.status) === hashOf(status)) return false;
    entry.object = { ...entry.object, status };
    this.emit('status');
    return true;
  }
}
