/**
 * Picks the backend for a route target by its model's provider.
 * @module
 */
import type { Provider } from '../../../crds/src/index.js';
import type { InferenceBackend, RouteTarget } from './backend.js';

export class BackendRegistry {
  readonly #byProvider: Readonly<Record<Provider, InferenceBackend>>;

  constructor(byProvider: Readonly<Record<Provider, InferenceBackend>>) {
    this.#byProvider = byProvider;
  }

  for(target: RouteTarget): InferenceBackend {
    return this.#byProvider[target.model.spec.provider];
  }
}
