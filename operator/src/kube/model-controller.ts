/**
 * The AIModel controller: rolls its versions' status up into the model's (pure, aiModelStatus) and checks an
 * openai model's credentials. Keyed `namespace/name` per model, on its own queue, so a burst of version
 * changes becomes one status write after a short delay.
 * @module
 */
import type { Logger } from 'pino';
import type { AIModel } from '../../../crds/src/index.js';
import type { KubeApi, KubeObject } from '../../../kube/src/api.js';
import { objectKey } from '../../../kube/src/informer.js';
import { Resources } from '../../../kube/src/resources.js';
import type { WorkQueue } from '../../../kube/src/work-queue.js';
import type { OperatorMetrics } from '../metrics.js';
import { aiModelStatus } from '../status/aimodel-status.js';
import type { Announce } from './children.js';
import { controllerQueue } from './controller-queue.js';
import type { OperatorInformers } from './informers.js';
import { announceReady, credentialsAvailable } from './model-events.js';
import { sameStatus } from './status-equal.js';

/** A rollout or a bulk apply changes many versions at once: wait this long and write the model once. */
const ROLLUP_DELAY_MS = 500;

export interface ModelControllerOptions {
  readonly api: KubeApi;
  readonly caches: OperatorInformers;
  readonly announce: Announce;
  readonly logger: Logger;
  readonly metrics: OperatorMetrics;
  readonly workers: number;
  /** After every pass (the manager's queue-depth gauge). */
  readonly afterPass?: () => void;
}

export class AIModelController {
  readonly #o: ModelControllerOptions;
  readonly queue: WorkQueue;

  constructor(options: ModelControllerOptions) {
    this.#o = options;
    const { caches, logger, metrics } = options;
    this.queue = controllerQueue({
      kind: 'AIModel',
      workers: options.workers,
      logger,
      metrics,
      afterPass: options.afterPass,
      reconcile: (namespace, name) => this.#reconcileModel(namespace, name),
    });
    caches.models.on((_event, model) => this.queue.add(objectKey(model)));
    caches.versions.on((_event, mv) =>
      this.queue.addAfter(`${mv.metadata.namespace}/${mv.spec.model}`, ROLLUP_DELAY_MS),
    );
  }

  enqueueAll(): void {
    for (const m of this.#o.caches.models.list()) this.queue.add(objectKey(m));
  }

  async #reconcileModel(namespace: string, name: string): Promise<void> {
    const { api, caches } = this.#o;
    const model = caches.models.get(namespace, name);
    if (!model || model.metadata.deletionTimestamp) return;
    const status = aiModelStatus({
      model,
      versions: caches.versions.list(namespace).filter((v) => v.spec.model === name),
      credentialsAvailable: await credentialsAvailable(api, model),
      now: new Date(),
    });
    if (sameStatus(model.status, status)) return;
    const written = await api.applyStatus<AIModel & KubeObject>(Resources.AIModel, namespace, name, status);
    caches.models.remember(written);
    announceReady(this.#o.announce, model, model.status?.conditions, status.conditions);
  }
}
