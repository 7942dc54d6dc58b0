/**
 * A list+watch cache of one resource type: lists, then watches from the list's resourceVersion; resumes
 * after a dropped connection, relists on 410 Gone (history compacted), backs off on errors. Handlers see
 * every add, update and delete, including those a relist discovers.
 * @module
 */
import type { Logger } from 'pino';
import type { KubeApi, KubeObject } from './api.js';
import type { WatchEventType } from './client.js';
import { type ResourceType, resourcePath } from './resources.js';

export type InformerEvent = 'add' | 'update' | 'delete';
export type InformerHandler<T> = (event: InformerEvent, object: T) => void;

export interface InformerOptions {
  readonly api: KubeApi;
  readonly type: ResourceType;
  /** Watch one namespace; all namespaces when absent. */
  readonly namespace?: string;
  readonly labelSelector?: string;
  readonly logger: Logger;
  /** The server ends each watch after about this long, so a silently dead connection cannot stall us. */
  readonly watchTimeoutSeconds?: number;
  /** Called on every relist after the first list (metrics). */
  readonly onRelist?: (kind: string) => void;
}

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 30_000;

/** resourceVersions are opaque, but etcd's are integers: compare them as such when they are. */
function newer(a: string | undefined, b: string | undefined): boolean {
  if (!a || !b || !/^\d+$/.test(a) || !/^\d+$/.test(b)) return false;
  return BigInt(a) > BigInt(b);
}

export const objectKey = (o: KubeObject): string => `${o.metadata.namespace ?? ''}/${o.metadata.name}`;

export class Informer<T extends KubeObject> {
  readonly #o: InformerOptions;
  readonly #store = new Map<string, T>();
  readonly #handlers: InformerHandler<T>[] = [];
  #resourceVersion = '';
  #gone = false;
  #stopped = true;
  #failures = 0;
  #abort?: AbortController;
  #watchStarted = 0;
  #eventsThisWatch = 0;
  #timer?: NodeJS.Timeout;
  /** Relists after the first; tests and metrics read it. */
  relists = 0;

  constructor(options: InformerOptions) {
    this.#o = options;
  }

  get kind(): string {
    return this.#o.type.kind;
  }

  on(handler: InformerHandler<T>): void {
    this.#handlers.push(handler);
  }

  get(namespace: string, name: string): T | undefined {
    return this.#store.get(`${namespace}/${name}`);
  }

  list(namespace?: string): T[] {
    const all = [...this.#store.values()];
    return namespace === undefined ? all : all.filter((o) => o.metadata.namespace === namespace);
  }

  /**
   * Read-your-writes: keeps an object this process just wrote, so a pass that runs before the watch
   * delivers it does not see the older copy (and write, or announce, the same change twice). Handlers are
   * not called; the watch event that follows is a no-op update.
   */
  remember(object: T): void {
    const key = objectKey(object);
    const current = this.#store.get(key);
    if (current && newer(current.metadata.resourceVersion, object.metadata.resourceVersion)) return;
    this.#store.set(key, { ...object, apiVersion: this.#o.type.apiVersion, kind: this.#o.type.kind });
  }

  /** Lists (retrying until it succeeds or stop() is called), then keeps watching in the background. */
  async start(): Promise<void> {
    this.#stopped = false;
    while (!this.#stopped) {
      try {
        await this.#relist();
        break;
      } catch (err) {
        await this.#sleep(this.#backoff(err, 'Initial list failed'));
      }
    }
    void this.#watch();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort?.abort();
  }

  #emit(event: InformerEvent, object: T): void {
    for (const handler of this.#handlers) handler(event, object);
  }

  async #relist(): Promise<void> {
    const { api, type, namespace, labelSelector } = this.#o;
    const list = await api.list<T>(type, namespace, labelSelector);
    if (this.#resourceVersion) {
      this.relists += 1;
      this.#o.onRelist?.(this.kind);
    }
    const seen = new Set<string>();
    for (const item of list.items) {
      const object = { ...item, apiVersion: type.apiVersion, kind: type.kind } as T;
      const key = objectKey(object);
      seen.add(key);
      const previous = this.#store.get(key);
      this.#store.set(key, object);
      if (!previous) this.#emit('add', object);
      else if (previous.metadata.resourceVersion !== object.metadata.resourceVersion)
        this.#emit('update', object);
    }
    for (const [key, object] of this.#store) {
      if (seen.has(key)) continue;
      this.#store.delete(key);
      this.#emit('delete', object);
    }
    this.#resourceVersion = list.metadata.resourceVersion ?? '';
    this.#gone = false;
    this.#failures = 0;
  }

  #onEvent(type: WatchEventType, raw: unknown): void {
    const object = raw as T & { code?: number };
    if (type === 'ERROR') {
      if (object.code === 410) this.#gone = true;
      return;
    }
    if (object.metadata?.resourceVersion) this.#resourceVersion = object.metadata.resourceVersion;
    this.#eventsThisWatch += 1;
    if (type === 'BOOKMARK') return;
    this.#failures = 0;
    const key = objectKey(object);
    if (type === 'DELETED') {
      this.#store.delete(key);
      this.#emit('delete', object);
      return;
    }
    const existed = this.#store.has(key);
    this.#store.set(key, object);
    this.#emit(existed ? 'update' : 'add', object);
  }

  async #watch(): Promise<void> {
    if (this.#stopped) return;
    const { api, type, namespace, labelSelector } = this.#o;
    const timeout = this.#o.watchTimeoutSeconds ?? 240 + Math.floor(Math.random() * 60);
    const done = (err: unknown): void => {
      void this.#afterWatch(err);
    };
    this.#watchStarted = Date.now();
    this.#eventsThisWatch = 0;
    try {
      this.#abort = await api.client.watch(
        resourcePath(type, namespace),
        {
          resourceVersion: this.#resourceVersion,
          allowWatchBookmarks: true,
          timeoutSeconds: timeout,
          labelSelector,
        },
        (eventType, object) => this.#onEvent(eventType, object),
        done,
      );
    } catch (err) {
      done(err);
    }
  }

  async #afterWatch(err: unknown): Promise<void> {
    if (this.#stopped) return;
    const status = (err as { statusCode?: number } | null)?.statusCode;
    if (this.#gone || status === 410) {
      this.#o.logger.info({ kind: this.kind }, 'Watch history expired (410); relisting');
      try {
        await this.#relist();
      } catch (listErr) {
        await this.#sleep(this.#backoff(listErr, 'Relist failed'));
        this.#gone = true;
      }
    } else if (err && (err as Error).name !== 'AbortError') {
      await this.#sleep(this.#backoff(err, 'Watch failed'));
    } else if (this.#eventsThisWatch === 0 && Date.now() - this.#watchStarted < 1000) {
      // A watch the server keeps ending at once (e.g. behind a flapping proxy) must not become a hot loop.
      await this.#sleep(this.#backoff(new Error('watch ended immediately'), 'Watch ended'));
    }
    void this.#watch();
  }

  #backoff(err: unknown, what: string): number {
    this.#failures += 1;
    const delay = Math.min(MIN_BACKOFF_MS * 2 ** (this.#failures - 1), MAX_BACKOFF_MS);
    this.#o.logger.warn({ kind: this.kind, err: (err as Error)?.message, retryInMs: delay }, what);
    return delay;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      this.#timer = setTimeout(resolve, ms);
    });
  }
}
