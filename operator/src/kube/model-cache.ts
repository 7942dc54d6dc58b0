/**
 * Where a runtime pod keeps fetched artifacts (MODEL_CACHE_DIR): an emptyDir by default (survives container
 * restarts, so a crash-looping runtime does not fetch again), or a PersistentVolumeClaim (survives the pod too)
 * when the ModelVersion's `spec.cache` or the operator config asks for one: an existing claim by name, or one
 * the operator creates, owned by the version. Pure.
 *
 * Access modes: a ReadWriteOnce (or ReadWriteOncePod) claim is mounted by one pod at a time, so such a version
 * runs one replica (CEL refuses more in the spec; a config-level claim reads ConfigInvalid) and is replaced with
 * the Recreate strategy: a rolling update would start the new pod while the old one holds the claim, and on
 * another node it would never attach. ReadWriteMany claims are shared by every replica, which then keep one
 * copy of each artifact (the cache is content-addressed and lands entries atomically).
 * @module
 */
import type { V1PersistentVolumeClaim, V1Volume } from '@kubernetes/client-node';
import { type CacheClaim, type ModelVersion, quantityString } from '../../../crds/src/index.js';
import { BYTE_UNITS } from '../../../runtime/src/config-env.js';
import { childLabels } from './names.js';
import type { OperatorConfig } from './operator-config.js';

export const MODEL_CACHE_PATH = '/var/cache/paissive/models';
export const MODEL_CACHE_VOLUME = 'model-cache';
/** Size of a created claim when neither the version nor the config gives one (the runtime's default bound). */
export const DEFAULT_CLAIM_SIZE = '10Gi';

export interface ModelCachePlan {
  readonly volume: V1Volume;
  /** The claim the operator creates and owns, when it creates one. */
  readonly claim?: V1PersistentVolumeClaim;
  /** MODEL_CACHE_MAX_BYTES, when a size is known: the runtime evicts to stay under it (see cacheBoundBytes). */
  readonly maxBytes?: string;
  /** Recreate when the claim can be mounted by one pod only. */
  readonly strategy: 'RollingUpdate' | 'Recreate';
}

export interface CacheProblem {
  readonly problem: string;
}

export const cacheClaimName = (mv: ModelVersion): string => `${mv.metadata.name}-model-cache`;

/** Kubernetes quantities also have lowercase k and m (milli). */
const UNITS: Readonly<Record<string, number>> = { ...BYTE_UNITS, k: 1e3, m: 1e-3 };

/** Bytes of a Kubernetes quantity of the CRD's form (`20Gi`, `1.5G`, `500M`); undefined when it is not one. */
export function quantityBytes(quantity: string): number | undefined {
  const match = /^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|Ki|Mi|Gi|Ti)?$/.exec(quantity);
  if (!match) return undefined;
  return Number(match[1]) * (UNITS[match[2] ?? ''] as number);
}

/**
 * The runtime's cache bound for a volume of `size`: half of it, in whole bytes. A fetch stages next to the
 * cache (an archive and its unpacked files) and the runtime only makes room for what lands, so a cache kept
 * under half the volume leaves the other half for the fetch in progress: an emptyDir past its sizeLimit gets
 * the pod evicted, a full claim fails the fetch.
 */
export function cacheBoundBytes(size: string): string | undefined {
  const bytes = quantityBytes(size);
  return bytes === undefined || bytes < 2 ? undefined : String(Math.floor(bytes / 2));
}

const SINGLE_POD = new Set<CacheClaim['accessMode']>(['ReadWriteOnce', 'ReadWriteOncePod']);

const bound = (size: string | undefined): { maxBytes?: string } => {
  const maxBytes = size === undefined ? undefined : cacheBoundBytes(size);
  return maxBytes ? { maxBytes } : {};
};

export function modelCachePlan(
  mv: ModelVersion,
  config: OperatorConfig,
  owner: NonNullable<V1PersistentVolumeClaim['metadata']>['ownerReferences'],
): ModelCachePlan | CacheProblem {
  const specLimit = mv.spec.cache?.sizeLimit;
  const sizeLimit = specLimit === undefined ? config.modelCacheSizeLimit : quantityString(specLimit);
  // A version that says anything about its cache decides the volume; the config's claim is for the others.
  const claim = mv.spec.cache ? mv.spec.cache.persistentVolumeClaim : config.modelCacheClaim;
  if (!claim) {
    return {
      volume: { name: MODEL_CACHE_VOLUME, emptyDir: sizeLimit ? { sizeLimit } : {} },
      ...bound(sizeLimit),
      strategy: 'RollingUpdate',
    };
  }
  const strategy = SINGLE_POD.has(claim.accessMode) ? 'Recreate' : 'RollingUpdate';
  if (strategy === 'Recreate' && mv.spec.replicas > 1) {
    return {
      problem: `The model cache claim is ${claim.accessMode} (the operator config's modelCacheClaim) and cannot be shared by ${mv.spec.replicas} replicas: set spec.cache (an emptyDir, or a ReadWriteMany claim) or replicas 1`,
    };
  }
  if (claim.claimName) {
    return {
      volume: { name: MODEL_CACHE_VOLUME, persistentVolumeClaim: { claimName: claim.claimName } },
      ...bound(sizeLimit),
      strategy,
    };
  }
  const size = sizeLimit ?? DEFAULT_CLAIM_SIZE;
  const name = cacheClaimName(mv);
  return {
    volume: { name: MODEL_CACHE_VOLUME, persistentVolumeClaim: { claimName: name } },
    claim: {
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: {
        name,
        namespace: mv.metadata.namespace,
        labels: childLabels(mv),
        ownerReferences: owner,
      },
      spec: {
        accessModes: [claim.accessMode],
        resources: { requests: { storage: size } },
        ...(claim.storageClassName ? { storageClassName: claim.storageClassName } : {}),
      },
    },
    ...bound(size),
    strategy,
  };
}
