/**
 * A catalog built from a snapshot of resources, rebuilt lazily after each change and indexed by name, so
 * the request path never scans or rebuilds it. The store and Kubernetes catalogs only say where their
 * snapshot comes from.
 * @module
 */
import type { AIModel, ModelVersion } from '../../../crds/src/index.js';
import {
  type AddressBook,
  buildCatalog,
  type Catalog,
  type CatalogModel,
  statusAddresses,
} from './catalog.js';

export interface CatalogSource {
  readonly aiModels: readonly AIModel[];
  readonly modelVersions: readonly ModelVersion[];
}

export abstract class IndexedCatalog implements Catalog {
  #models?: CatalogModel[];
  #byName = new Map<string, CatalogModel>();
  readonly #listeners = new Set<() => void>();
  readonly #addresses: AddressBook;

  constructor(addresses: AddressBook = statusAddresses) {
    this.#addresses = addresses;
  }

  abstract get loaded(): boolean;
  protected abstract source(): CatalogSource;

  /** Drops the built catalog and tells the listeners; call on every change of the source. */
  protected invalidate(): void {
    this.#models = undefined;
    for (const listener of this.#listeners) listener();
  }

  models(): readonly CatalogModel[] {
    if (!this.#models) {
      const { aiModels, modelVersions } = this.source();
      this.#models = buildCatalog(aiModels, modelVersions, this.#addresses);
      this.#byName = new Map(this.#models.map((m) => [m.name, m]));
    }
    return this.#models;
  }

  model(name: string): CatalogModel | undefined {
    this.models();
    return this.#byName.get(name);
  }

  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
