/**
 * API keys of `openai` models in a cluster: read from the Secret each AIModel names
 * (`spec.endpoint.apiKeySecretRef`), kept in memory and refreshed periodically so a rotated key is picked up.
 * Keys are never logged.
 * @module
 */
import type { Logger } from 'pino';
import type { KubeApi, KubeObject } from '../../kube/src/api.js';
import { isNotFound } from '../../kube/src/client.js';
import { Resources } from '../../kube/src/resources.js';
import type { ApiKeyResolver } from './backends/openai-backend.js';
import type { Catalog } from './catalog/catalog.js';

interface Secret extends KubeObject {
  data?: Record<string, string>;
}

export class SecretKeys {
  readonly #api: KubeApi;
  readonly #namespace: string;
  readonly #catalog: Catalog;
  readonly #logger: Logger;
  readonly #keys = new Map<string, string>();
  #timer?: NodeJS.Timeout;
  #refreshing?: Promise<void>;

  constructor(api: KubeApi, namespace: string, catalog: Catalog, logger: Logger) {
    this.#api = api;
    this.#namespace = namespace;
    this.#catalog = catalog;
    this.#logger = logger;
  }

  readonly resolve: ApiKeyResolver = (target) => {
    const ref = target.model.spec.endpoint?.apiKeySecretRef;
    return ref ? this.#keys.get(`${ref.name}/${ref.key}`) : undefined;
  };

  /** Loads every referenced key now, then again on catalog changes and every `refreshMs`. */
  async start(refreshMs = 60_000): Promise<void> {
    await this.refresh();
    this.#catalog.onChange(() => void this.refresh());
    this.#timer = setInterval(() => void this.refresh(), refreshMs);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  refresh(): Promise<void> {
    this.#refreshing ??= this.#load().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #load(): Promise<void> {
    const refs = new Map<string, { name: string; key: string }>();
    for (const model of this.#catalog.models()) {
      const ref = model.spec.endpoint?.apiKeySecretRef;
      if (ref) refs.set(`${ref.name}/${ref.key}`, ref);
    }
    for (const [id, ref] of refs) {
      try {
        const secret = await this.#api.get<Secret>(Resources.Secret, this.#namespace, ref.name);
        const value = secret.data?.[ref.key];
        if (value) this.#keys.set(id, Buffer.from(value, 'base64').toString('utf8').trim());
        else this.#keys.delete(id);
      } catch (err) {
        if (isNotFound(err)) this.#keys.delete(id);
        else
          this.#logger.warn(
            { secret: ref.name, err: (err as Error).message },
            'Reading an API key Secret failed',
          );
      }
    }
  }
}
