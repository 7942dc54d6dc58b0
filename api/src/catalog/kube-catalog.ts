/**
 * The catalog in a cluster: AIModels and ModelVersions (with the status the operator writes) and the
 * EndpointSlices of the runtime Services, watched through the Kubernetes API. The ready endpoints of a
 * version's slices are the addresses the router balances across (one HTTP/2 connection to a ClusterIP
 * would pin one pod).
 * @module
 */
import type { Logger } from 'pino';
import type { AIModel, ModelVersion } from '../../../crds/src/index.js';
import { LABEL_MODEL_VERSION, MANAGED_SELECTOR } from '../../../crds/src/labels.js';
import type { KubeApi, KubeObject } from '../../../kube/src/api.js';
import { Informer } from '../../../kube/src/informer.js';
import { Resources, type ResourceType } from '../../../kube/src/resources.js';
import { type CatalogSource, IndexedCatalog } from './indexed-catalog.js';

interface EndpointSlice extends KubeObject {
  addressType?: string;
  endpoints?: { addresses: string[]; conditions?: { ready?: boolean; terminating?: boolean } }[];
  ports?: { name?: string; port?: number }[];
}

export interface KubeCatalogOptions {
  readonly api: KubeApi;
  /** The namespace whose models this router serves (model names are unique per namespace). */
  readonly namespace: string;
  readonly logger: Logger;
}

/** Ready addresses of a slice, `ip:port` (IPv6 in brackets). */
export function sliceAddresses(slice: EndpointSlice): string[] {
  const port = slice.ports?.[0]?.port;
  if (!port) return [];
  const ipv6 = slice.addressType === 'IPv6';
  return (slice.endpoints ?? [])
    .filter((e) => e.conditions?.ready !== false && !e.conditions?.terminating)
    .flatMap((e) => e.addresses.map((a) => (ipv6 ? `[${a}]:${port}` : `${a}:${port}`)));
}

export class KubeCatalog extends IndexedCatalog {
  readonly #models: Informer<AIModel & KubeObject>;
  readonly #versions: Informer<ModelVersion & KubeObject>;
  readonly #slices: Informer<EndpointSlice>;
  #synced = false;

  constructor(options: KubeCatalogOptions) {
    super((mv) => this.#addressesOf(mv));
    const informer = <T extends KubeObject>(type: ResourceType, labelSelector?: string) =>
      new Informer<T>({
        api: options.api,
        type,
        namespace: options.namespace,
        labelSelector,
        logger: options.logger,
      });
    this.#models = informer(Resources.AIModel);
    this.#versions = informer(Resources.ModelVersion);
    this.#slices = informer(Resources.EndpointSlice, MANAGED_SELECTOR);
    const invalidate = (): void => {
      if (this.#synced) this.invalidate();
    };
    for (const i of [this.#models, this.#versions, this.#slices]) i.on(invalidate);
  }

  get loaded(): boolean {
    return this.#synced;
  }

  /** Lists everything once (the catalog is loaded), then keeps watching. */
  async start(): Promise<void> {
    await Promise.all([this.#models.start(), this.#versions.start(), this.#slices.start()]);
    this.#synced = true;
    this.invalidate();
  }

  stop(): void {
    for (const i of [this.#models, this.#versions, this.#slices]) i.stop();
  }

  protected source(): CatalogSource {
    return { aiModels: this.#models.list(), modelVersions: this.#versions.list() };
  }

  #addressesOf(mv: ModelVersion): string[] {
    return this.#slices
      .list(mv.metadata.namespace)
      .filter((s) => s.metadata.labels?.[LABEL_MODEL_VERSION] === mv.metadata.name)
      .flatMap(sliceAddresses);
  }
}
