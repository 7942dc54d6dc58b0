/**
 * The Kubernetes target: a version's runtime is a Deployment and a headless Service (with a cache claim, a
 * PodDisruptionBudget and an HPA when its spec asks), written with server-side apply and owned by the
 * version; its status is read from the shared informers' caches.
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
import type { AIModel, ModelVersion, ModelVersionStatus } from '../../../crds/src/index.js';
import { LABEL_MODEL_VERSION } from '../../../crds/src/labels.js';
import type { KubeApi, KubeObject } from '../../../kube/src/api.js';
import { Resources } from '../../../kube/src/resources.js';
import type { RuntimeTarget } from '../target.js';
import { type Announce, Children, changeMessage } from './children.js';
import { desiredVersion } from './desired.js';
import type { DownloadProber } from './download-probe.js';
import type { OperatorInformers } from './informers.js';
import type { OperatorConfig } from './operator-config.js';
import { clusterVersionStatus } from './version-status.js';

export interface KubeTargetOptions {
  readonly api: KubeApi;
  readonly caches: OperatorInformers;
  readonly config: OperatorConfig;
  readonly announce: Announce;
  readonly logger: Logger;
  /** Pods' artifact downloads, when the operator probes them. */
  readonly downloads?: DownloadProber;
}

type Live = ModelVersion & KubeObject;

export class KubeRuntimeTarget implements RuntimeTarget {
  readonly #o: KubeTargetOptions;
  readonly #children: Children;

  constructor(options: KubeTargetOptions) {
    this.#o = options;
    this.#children = new Children(options.api, options.caches, options.logger, options.announce);
  }

  async apply(version: ModelVersion, model: AIModel | undefined): Promise<void> {
    const mv = version as Live;
    const { caches } = this.#o;
    const desired = desiredVersion(mv, model, this.#o.config);
    if (desired.kind !== 'serve') return this.remove(mv);
    const c = this.#children;
    const results = await Promise.all([
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
    const message = changeMessage(results, mv.metadata.name);
    if (message) this.#o.announce(mv, 'Normal', results.find((r) => r.verb)?.verb ?? 'Updated', message);
  }

  status(version: ModelVersion, model: AIModel | undefined, now: Date): ModelVersionStatus {
    const { caches } = this.#o;
    const namespace = version.metadata.namespace as string;
    const name = version.metadata.name;
    const desired = desiredVersion(version, model, this.#o.config);
    const pods = caches.pods.list(namespace).filter((p) => p.metadata.labels?.[LABEL_MODEL_VERSION] === name);
    return clusterVersionStatus({
      version,
      desired,
      // What apply just wrote is in the cache (read-your-writes); a version that wants none has none.
      deployment: desired.kind === 'serve' ? caches.deployments.get(namespace, name) : undefined,
      pods,
      downloads: (pod) => this.#o.downloads?.get(pod),
      now,
    });
  }

  remove(version: ModelVersion): Promise<void> {
    return this.#children.removeAll(version as Live);
  }
}
