/**
 * The catalog: what models and versions exist and which are ready, as the router sees them. One
 * interface, fed by the manifest folder in local mode (and by the Kubernetes API in a cluster).
 * @module
 */
import {
  type AIModel,
  type AIModelSpec,
  type AIModelStatus,
  compareVersions,
  type ModelVersion,
  type ModelVersionSpec,
  type ModelVersionStatus,
} from '../../../crds/src/index.js';

export interface CatalogVersion {
  /** The ModelVersion's metadata.name. */
  readonly name: string;
  readonly version: string;
  readonly spec: ModelVersionSpec;
  readonly status?: ModelVersionStatus;
  /** Ready condition is True. */
  readonly ready: boolean;
  /** Where the router reaches it when ready: host:port of a runtime, or an OpenAI-compatible base URL. */
  readonly endpoint?: string;
  /** Ready runtime addresses (host:port) the router balances across; empty when nothing is ready. */
  readonly addresses: readonly string[];
  readonly createdAt?: string;
}

export interface CatalogModel {
  readonly name: string;
  readonly spec: AIModelSpec;
  readonly status?: AIModelStatus;
  /** Newest first. */
  readonly versions: readonly CatalogVersion[];
  readonly createdAt?: string;
}

export interface Catalog {
  /** False until the first complete read of the source. */
  readonly loaded: boolean;
  models(): readonly CatalogModel[];
  model(name: string): CatalogModel | undefined;
  /** Calls `listener` after any change; returns the unsubscribe function. */
  onChange(listener: () => void): () => void;
}

/** Ready addresses of a version: who knows them depends on where the runtimes run (processes, pods). */
export type AddressBook = (version: ModelVersion) => readonly string[];

/** Without a better source, the status endpoint is the one address. */
export const statusAddresses: AddressBook = (mv) => (mv.status?.endpoint ? [mv.status.endpoint] : []);

function toVersion(mv: ModelVersion, addressesOf: AddressBook): CatalogVersion {
  const ready = mv.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  return {
    name: mv.metadata.name,
    version: mv.spec.version,
    spec: mv.spec,
    status: mv.status,
    ready,
    endpoint: ready ? mv.status?.endpoint : undefined,
    addresses: ready && mv.status?.protocol !== 'openai' ? addressesOf(mv) : [],
    createdAt: mv.metadata.creationTimestamp,
  };
}

/** Joins AIModels with the ModelVersions that name them. Pure; versions of unknown models are dropped. */
export function buildCatalog(
  aiModels: readonly AIModel[],
  modelVersions: readonly ModelVersion[],
  addressesOf: AddressBook = statusAddresses,
): CatalogModel[] {
  return aiModels
    .map((m) => ({
      name: m.metadata.name,
      spec: m.spec,
      status: m.status,
      createdAt: m.metadata.creationTimestamp,
      versions: modelVersions
        .filter((v) => v.spec.model === m.metadata.name)
        .map((v) => toVersion(v, addressesOf))
        .sort((a, b) => compareVersions(b.version, a.version)),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
