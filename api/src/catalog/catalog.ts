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
  /** host:port of the runtime serving it, when ready. */
  readonly endpoint?: string;
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

function toVersion(mv: ModelVersion): CatalogVersion {
  const ready = mv.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  return {
    name: mv.metadata.name,
    version: mv.spec.version,
    spec: mv.spec,
    status: mv.status,
    ready,
    endpoint: ready ? mv.status?.endpoint : undefined,
    createdAt: mv.metadata.creationTimestamp,
  };
}

/** Joins AIModels with the ModelVersions that name them. Pure; versions of unknown models are dropped. */
export function buildCatalog(
  aiModels: readonly AIModel[],
  modelVersions: readonly ModelVersion[],
): CatalogModel[] {
  return aiModels
    .map((m) => ({
      name: m.metadata.name,
      spec: m.spec,
      status: m.status,
      createdAt: m.metadata.creationTimestamp,
      versions: modelVersions
        .filter((v) => v.spec.model === m.metadata.name)
        .map(toVersion)
        .sort((a, b) => compareVersions(b.version, a.version)),
    }))
    .sort((a, b) => a.name.localeCompare(b.name));
}
