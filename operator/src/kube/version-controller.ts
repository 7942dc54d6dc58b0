/**
 * The ModelVersion controller: observe (shared informers) → apply the version's runtime through its target
 * (desired state is pure, written with server-side apply only when the live object differs) → status (pure,
 * written only when it changed; a failed apply reads as its failure's reason, never Ready). Level-triggered: a key
 * (`namespace/name`) says which version to look at, never what happened to it.
 * @module
 */
import type { Logger } from 'pino';
import type { Condition, ModelVersion } from '../../../crds/src/index.js';
import { LABEL_MODEL_VERSION } from '../../../crds/src/labels.js';
import type { KubeApi, KubeObject } from '../../../kube/src/api.js';
import { objectKey } from '../../../kube/src/informer.js';
import { Resources } from '../../../kube/src/resources.js';
import type { WorkQueue } from '../../../kube/src/work-queue.js';
import { type OperatorError, toOperatorError } from '../errors.js';
import type { OperatorMetrics } from '../metrics.js';
import type { RuntimeTarget } from '../target.js';
import type { Announce } from './children.js';
import { controllerQueue } from './controller-queue.js';
import { childInformers, type OperatorInformers } from './informers.js';
import { announceReady } from './model-events.js';
import { sameStatus } from './status-equal.js';

export interface VersionControllerOptions {
  readonly api: KubeApi;
  readonly caches: OperatorInformers;
  /** Runs the versions' runtimes (the Kubernetes target; tests may give another). */
  readonly target: RuntimeTarget;
  readonly announce: Announce;
  readonly logger: Logger;
  readonly metrics: OperatorMetrics;
  readonly workers: number;
  /** After every pass (the manager's queue-depth gauge). */
  readonly afterPass?: () => void;
}

export class ModelVersionController {
  readonly #o: VersionControllerOptions;
  readonly #target: RuntimeTarget;
  readonly queue: WorkQueue;

  constructor(options: VersionControllerOptions) {
    this.#o = options;
    const { caches, logger, metrics } = options;
    this.#target = options.target;
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
    const { caches } = this.#o;
    const mv = caches.versions.get(namespace, name);
    if (!mv || mv.metadata.deletionTimestamp) return; // owner references let the garbage collector do the rest
    const model = caches.models.get(namespace, mv.spec.model);
    try {
      await this.#target.apply(mv, model);
    } catch (err) {
      const failure = toOperatorError(err);
      await this.#writeStatus(mv, { ...(mv.status ?? {}), conditions: failedApply(mv, failure) });
      throw failure;
    }
    await this.#writeStatus(mv, this.#target.status(mv, model, new Date()));
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

/**
 * A failed apply never reads as Ready: Ready False with the failure's reason, the other conditions kept. The
 * transition time stays while Ready stays False, so a failure that repeats writes nothing: a new timestamp
 * would change the status, and the status write would wake this version's watch and run the failing pass
 * again at once, past any backoff (and for good, for a failure that is not retried).
 */
function failedApply(mv: ModelVersion, failure: OperatorError): Condition[] {
  const message = `Applying the runtime failed (${failure.code}): ${failure.message}`;
  const previous = mv.status?.conditions?.find((c) => c.type === 'Ready');
  const lastTransitionTime =
    previous?.status === 'False' ? previous.lastTransitionTime : new Date().toISOString();
  const keep = (mv.status?.conditions ?? []).filter((c) => c.type !== 'Ready');
  return [
    {
      type: 'Ready',
      status: 'False',
      reason: failure.reason,
      message,
      lastTransitionTime,
      observedGeneration: mv.metadata.generation,
    },
    ...keep,
  ];
}
