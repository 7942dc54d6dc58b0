/**
 * The ModelVersion controller: observe (shared informers) → desired (pure) → apply (server-side apply, only
 * when the live object differs) → status (pure, written only when it changed). Level-triggered: a key
 * (`namespace/name`) says which version to look at, never what happened to it.
 * @module
 */
import type {
  V1Deployment,
  V1PersistentVolumeClaim,
  V1PodDisruptionBudget,
  V1Service,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { Condition, ModelVersion } from '../../../crds/src/index.js';
import { LABEL_MODEL_VERSION } from '../../../crds/src/labels.js';
import type { KubeApi, KubeObject } from '../../../kube/src/api.js';
import { objectKey } from '../../../kube/src/informer.js';
import { Resources } from '../../../kube/src/resources.js';
import type { WorkQueue } from '../../../kube/src/work-queue.js';
import { Reason } from '../conditions.js';
import type { OperatorMetrics } from '../metrics.js';
import { type Announce, Children, changeMessage } from './children.js';
import { controllerQueue } from './controller-queue.js';
import { desiredVersion } from './desired.js';
import type { DownloadProber } from './download-probe.js';
import { childInformers, type OperatorInformers } from './informers.js';
import { announceReady } from './model-events.js';
import type { OperatorConfig } from './operator-config.js';
import { sameStatus } from './status-equal.js';
import { clusterVersionStatus } from './version-status.js';

export interface VersionControllerOptions {
  readonly api: KubeApi;
  readonly caches: OperatorInformers;
  readonly config: OperatorConfig;
  readonly announce: Announce;
  readonly logger: Logger;
  readonly metrics: OperatorMetrics;
  readonly workers: number;
  /** After every pass (the manager's queue-depth gauge). */
  readonly afterPass?: () => void;
  /** Pods' artifact downloads, when the operator probes them. */
  readonly downloads?: DownloadProber;
}

export class ModelVersionController {
  readonly #o: VersionControllerOptions;
  readonly #children: Children;
  readonly queue: WorkQueue;

  constructor(options: VersionControllerOptions) {
    this.#o = options;
    const { api, caches, logger, metrics } = options;
    this.#children = new Children(api, caches, logger, options.announce);
    this.queue = controllerQueue({
      kind: 'ModelVersion',
      workers: options.workers,
      logger,
      metrics,
      afterPass: options.afterPass,
      reconcile: (namespace, name) => this.#reconcileVersion(namespace, name),
    });
    caches.versions.on((_event, mv) => this.queue.add(objectKey(mv)));
    // A model's spec (its runtime, its endpoint) is part of every version's desired state.
    caches.models.on((_event, model) => {
      const ns = model.metadata.namespace as string;
      for (const mv of caches.versions.list(ns)) {
        if (mv.spec.model === model.metadata.name) this.queue.add(objectKey(mv));
      }
    });
    for (const children of childInformers(caches)) {
      children.on((_event, child) => {
        const owner = child.metadata.labels?.[LABEL_MODEL_VERSION];
        if (owner) this.queue.add(`${child.metadata.namespace}/${owner}`);
      });
    }
  }

  enqueueAll(): void {
    for (const mv of this.#o.caches.versions.list()) this.queue.add(objectKey(mv));
  }

  async #reconcileVersion(namespace: string, name: string): Promise<void> {
    const { caches, config } = this.#o;
    const mv = caches.versions.get(namespace, name);
    if (!mv || mv.metadata.deletionTimestamp) return; // owner references let the garbage collector do the rest
    const desired = desiredVersion(mv, caches.models.get(namespace, mv.spec.model), config);
    let deployment = caches.deployments.get(namespace, name);
    try {
      if (desired.kind === 'serve') {
        const c = this.#children;
        const [applied, service, claim, budget, autoscaler] = await Promise.all([
          c.ensure(Resources.Deployment, caches.deployments, desired.deployment as V1Deployment & KubeObject),
          c.ensure(Resources.Service, caches.services, desired.service as V1Service & KubeObject),
          desired.claim
            ? c.ensure(
                Resources.PersistentVolumeClaim,
                caches.claims,
                desired.claim as V1PersistentVolumeClaim & KubeObject,
              )
            : c.removeClaim(mv),
          c.ensureOrDelete(
            Resources.PodDisruptionBudget,
            caches.budgets,
            desired.disruptionBudget as (V1PodDisruptionBudget & KubeObject) | undefined,
            mv,
          ),
          c.ensureOrDelete(
            Resources.HorizontalPodAutoscaler,
            caches.autoscalers,
            desired.autoscaler as (V2HorizontalPodAutoscaler & KubeObject) | undefined,
            mv,
          ),
        ]);
        deployment = applied.object;
        const results = [applied, service, claim, budget, autoscaler];
        const message = changeMessage(results, name);
        if (message) this.#o.announce(mv, 'Normal', results.find((r) => r.verb)?.verb ?? 'Updated', message);
      } else {
        await this.#children.removeAll(mv);
        deployment = undefined;
      }
    } catch (err) {
      await this.#writeStatus(mv, { ...(mv.status ?? {}), conditions: failedApply(mv, err) });
      throw err;
    }
    const pods = caches.pods.list(namespace).filter((p) => p.metadata.labels?.[LABEL_MODEL_VERSION] === name);
    const status = clusterVersionStatus({
      version: mv,
      desired,
      deployment,
      pods,
      downloads: (pod) => this.#o.downloads?.get(pod),
      now: new Date(),
    });
    await this.#writeStatus(mv, status);
  }

  async #writeStatus(mv: ModelVersion & KubeObject, status: ModelVersion['status']): Promise<void> {
    if (sameStatus(mv.status, status)) return;
    const written = await this.#o.api.applyStatus<ModelVersion & KubeObject>(
      Resources.ModelVersion,
      mv.metadata.namespace as string,
      mv.metadata.name,
      status,
    );
    this.#o.caches.versions.remember(written);
    announceReady(this.#o.announce, mv, mv.status?.conditions, status?.conditions);
  }
}

/** A failed apply never reads as Ready: Ready False, ApplyFailed, the other conditions kept. */
function failedApply(mv: ModelVersion, err: unknown): Condition[] {
  const message = `Applying the runtime failed: ${(err as Error).message}`;
  const now = new Date().toISOString();
  const keep = (mv.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
  return [
    {
      type: 'Ready',
      status: 'False',
      reason: Reason.ApplyFailed,
      message,
      lastTransitionTime: now,
      observedGeneration: mv.metadata.generation,
    },
    ...keep,
  ];
}
