/**
 * One informer per resource type for a whole process: every controller that reads a type asks the factory
 * and gets the same cache, so the API server serves one list and one watch per type however many
 * controllers read it, and each controller's handlers fan out from that one stream.
 * @module
 */
import type { Logger } from 'pino';
import type { KubeApi, KubeObject } from './api.js';
import { Informer } from './informer.js';
import type { ResourceType } from './resources.js';

export interface SharedInformersOptions {
  readonly api: KubeApi;
  /** Watch one namespace; all namespaces when absent. */
  readonly namespace?: string;
  readonly logger: Logger;
  readonly onRelist?: (kind: string) => void;
}

interface Entry {
  readonly informer: Informer<KubeObject>;
  readonly labelSelector?: string;
}

export class SharedInformers {
  readonly #o: SharedInformersOptions;
  readonly #byType = new Map<string, Entry>();
  #started = false;

  constructor(options: SharedInformersOptions) {
    this.#o = options;
  }

  /**
   * The process's informer of `type`. A second caller with another selector is a programming error, not a
   * second watch: the cache would hold objects one of them did not ask for.
   */
  informer<T extends KubeObject>(type: ResourceType, labelSelector?: string): Informer<T> {
    const key = `${type.apiVersion}/${type.plural}`;
    const existing = this.#byType.get(key);
    if (existing) {
      if (existing.labelSelector !== labelSelector) {
        throw new Error(
          `${type.kind} is already watched with selector ${JSON.stringify(existing.labelSelector ?? '')}, not ${JSON.stringify(labelSelector ?? '')}`,
        );
      }
      return existing.informer as unknown as Informer<T>;
    }
    if (this.#started) throw new Error(`${type.kind}: informers must be requested before start()`);
    const informer = new Informer<KubeObject>({
      api: this.#o.api,
      type,
      namespace: this.#o.namespace,
      labelSelector,
      logger: this.#o.logger,
      onRelist: this.#o.onRelist,
    });
    this.#byType.set(key, { informer, labelSelector });
    return informer as unknown as Informer<T>;
  }

  /** The types being watched (`apps/v1/deployments`), one entry per watch. */
  get watched(): string[] {
    return [...this.#byType.keys()];
  }

  /** Lists every type (fills the caches) and starts the watches. */
  async start(): Promise<void> {
    this.#started = true;
    await Promise.all([...this.#byType.values()].map((e) => e.informer.start()));
  }

  stop(): void {
    for (const e of this.#byType.values()) e.informer.stop();
  }
}
