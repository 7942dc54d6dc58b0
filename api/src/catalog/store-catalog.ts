/**
 * The catalog of local mode, read from the manifest store (the YAML folder plus the status the local
 * operator writes); runtime addresses come from the local operator's processes.
 * @module
 */
import type { ManifestStore } from '../../../operator/src/local/manifest-store.js';
import type { AddressBook } from './catalog.js';
import { type CatalogSource, IndexedCatalog } from './indexed-catalog.js';

export class StoreCatalog extends IndexedCatalog {
  readonly #store: ManifestStore;

  constructor(store: ManifestStore, addresses?: AddressBook) {
    super(addresses);
    this.#store = store;
    const invalidate = (): void => this.invalidate();
    store.on('change', invalidate);
    store.on('status', invalidate);
  }

  get loaded(): boolean {
    return this.#store.snapshot().loaded;
  }

  protected source(): CatalogSource {
    return this.#store.snapshot();
  }
}
