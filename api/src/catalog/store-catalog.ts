/**
 * The catalog of local mode, read from the manifest store (the YAML folder plus the status the local
 * operator writes).
 * @module
 */
import type { ManifestStore } from '../../../operator/src/local/manifest-store.js';
import { buildCatalog, type Catalog, type CatalogModel } from './catalog.js';

export class StoreCatalog implements Catalog {
  readonly #store: ManifestStore;
  #models?: CatalogModel[];
  readonly #listeners = new Set<() => void>();

  constructor(store: ManifestStore) {
    this.#store = store;
    const invalidate = (): void => {
      this.#models = undefined;
      for (const listener of this.#listeners) listener();
    };
    store.on('change', invalidate);
    store.on('status', invalidate);
  }

  get loaded(): boolean {
    return this.#store.snapshot().loaded;
  }

  models(): readonly CatalogModel[] {
    if (!this.#models) {
      const snapshot = this.#store.snapshot();
      this.#models = buildCatalog(snapshot.aiModels, snapshot.modelVersions);
    }
    return this.#models;
  }

  model(name: string): CatalogModel | undefined {
    return this.models().find((m) => m.name === name);
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
