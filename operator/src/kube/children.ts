/**
 * Writes a ModelVersion's children: server-side apply only when the live object lacks a field we would set
 * (so a pass that changes nothing writes nothing), and deletes only what the version owns.
 * @module
 */
import type { Logger } from 'pino';
import type { ModelVersion } from '../../../crds/src/index.js';
import type { KubeApi, KubeObject } from '../../../kube/src/api.js';
import { isNotFound } from '../../../kube/src/client.js';
import type { Informer } from '../../../kube/src/informer.js';
import { Resources, type ResourceType } from '../../../kube/src/resources.js';
import type { OperatorInformers } from './informers.js';
import { cacheClaimName } from './model-cache.js';
import { isSubset } from './subset.js';

/** What one apply did: nothing (`verb` absent), or created or updated the object. */
export interface Applied<T = KubeObject> {
  readonly kind: string;
  readonly verb?: 'Created' | 'Updated';
  readonly object?: T;
}

/** One event per pass, not per object: "Created Deployment and Service story-writer-v2". */
export function changeMessage(
  results: readonly { kind: string; verb?: string }[],
  name: string,
): string | undefined {
  const byVerb = new Map<string, string[]>();
  for (const r of results) if (r.verb) byVerb.set(r.verb, [...(byVerb.get(r.verb) ?? []), r.kind]);
  if (byVerb.size === 0) return undefined;
  return `${[...byVerb].map(([verb, kinds]) => `${verb} ${kinds.join(' and ')}`).join(', ')} ${name}`;
}

/** Records a Kubernetes Event (best effort: never holds a reconcile up). */
export type Announce = (
  object: KubeObject,
  type: 'Normal' | 'Warning',
  reason: string,
  message: string,
) => void;

export class Children {
  readonly #api: KubeApi;
  readonly #caches: OperatorInformers;
  readonly #logger: Logger;
  readonly #announce: Announce;

  constructor(api: KubeApi, caches: OperatorInformers, logger: Logger, announce: Announce) {
    this.#api = api;
    this.#caches = caches;
    this.#logger = logger;
    this.#announce = announce;
  }

  /** Applies `desired` unless the live object already carries every field of it. */
  async ensure<T extends KubeObject>(
    type: ResourceType,
    cache: Informer<T>,
    desired: T,
  ): Promise<Applied<T> & { object: T }> {
    const live = cache.get(desired.metadata.namespace as string, desired.metadata.name);
    if (live && isSubset(desired, live)) return { object: live, kind: type.kind };
    const object = await this.#api.apply(type, desired);
    cache.remember(object);
    const verb = live ? 'Updated' : 'Created';
    this.#logger.info(
      { kind: type.kind, namespace: desired.metadata.namespace, name: desired.metadata.name },
      `${verb} ${type.kind}`,
    );
    return { object, kind: type.kind, verb };
  }

  /** Applies `desired`; without one, deletes the object of that kind the operator made for `mv`, if any. */
  async ensureOrDelete<T extends KubeObject>(
    type: ResourceType,
    cache: Informer<T>,
    desired: T | undefined,
    mv: ModelVersion & KubeObject,
  ): Promise<Applied> {
    if (desired) return this.ensure(type, cache, desired);
    const live = cache.get(mv.metadata.namespace as string, mv.metadata.name);
    await this.deleteOwned(mv, [[type, live]]);
    return { kind: type.kind };
  }

  async removeAll(mv: ModelVersion & KubeObject): Promise<void> {
    const ns = mv.metadata.namespace as string;
    const c = this.#caches;
    await this.deleteOwned(mv, [
      [Resources.Deployment, c.deployments.get(ns, mv.metadata.name)],
      [Resources.Service, c.services.get(ns, mv.metadata.name)],
      [Resources.PersistentVolumeClaim, c.claims.get(ns, cacheClaimName(mv))],
      [Resources.PodDisruptionBudget, c.budgets.get(ns, mv.metadata.name)],
      [Resources.HorizontalPodAutoscaler, c.autoscalers.get(ns, mv.metadata.name)],
    ]);
  }

  /**
   * Deletes the cache claim the operator created for `mv` once the version no longer wants one (emptyDir, or
   * an existing claim instead): storage nobody mounts is storage somebody pays for.
   */
  async removeClaim(mv: ModelVersion & KubeObject): Promise<Applied> {
    const ns = mv.metadata.namespace as string;
    const claim = this.#caches.claims.get(ns, cacheClaimName(mv));
    await this.deleteOwned(mv, [[Resources.PersistentVolumeClaim, claim]]);
    return { kind: Resources.PersistentVolumeClaim.kind };
  }

  async deleteOwned(
    mv: ModelVersion & KubeObject,
    children: readonly [ResourceType, KubeObject | undefined][],
  ): Promise<void> {
    const ns = mv.metadata.namespace as string;
    for (const [type, child] of children) {
      if (!child?.metadata.ownerReferences?.some((r) => r.uid === mv.metadata.uid)) continue;
      try {
        await this.#api.delete(type, ns, child.metadata.name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.#logger.info(
        { kind: type.kind, namespace: ns, name: child.metadata.name },
        `Deleted ${type.kind}`,
      );
      this.#announce(mv, 'Normal', 'Deleted', `Deleted ${type.kind} ${child.metadata.name}`);
    }
  }
}
