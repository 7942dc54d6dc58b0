/**
 * The cluster target: observe (informers) → desired (pure) → apply (server-side apply, only when the live
 * object differs) → status (pure, written only when it changed). Level-triggered: a key says which object
 * to look at, never what happened to it.
 * @module
 */
import type {
  V1Deployment,
  V1PersistentVolumeClaim,
  V1Pod,
  V1PodDisruptionBudget,
  V1Service,
  V2HorizontalPodAutoscaler,
} from '@kubernetes/client-node';
import type { Logger } from 'pino';
import type { AIModel, Condition, ModelVersion } from '../../../crds/src/index.js';
import { LABEL_MODEL_VERSION, MANAGED_SELECTOR } from '../../../crds/src/labels.js';
import type { KubeApi, KubeObject } from '../../../kube/src/api.js';
import { isNotFound } from '../../../kube/src/client.js';
import type { EventRecorder } from '../../../kube/src/events.js';
import { Informer } from '../../../kube/src/informer.js';
import { Resources, type ResourceType } from '../../../kube/src/resources.js';
import { WorkQueue } from '../../../kube/src/work-queue.js';
import { Reason } from '../conditions.js';
import type { OperatorMetrics } from '../metrics.js';
import { aiModelStatus } from '../status/aimodel-status.js';
import { desiredVersion } from './desired.js';
import { DownloadProber } from './download-probe.js';
import { cacheClaimName } from './model-cache.js';
import { credentialsAvailable, readyEvent } from './model-events.js';
import type { OperatorConfig } from './operator-config.js';
import { sameStatus } from './status-equal.js';
import { isSubset } from './subset.js';
import { clusterVersionStatus } from './version-status.js';

export interface ControllerOptions {
  readonly api: KubeApi;
  readonly config: OperatorConfig;
  readonly events: EventRecorder;
  readonly logger: Logger;
  readonly metrics: OperatorMetrics;
  /** Watch one namespace; all when absent. */
  readonly namespace?: string;
  readonly workers?: number;
  readonly resyncSeconds?: number;
}

const ROLLUP_DELAY_MS = 500;

/** What one apply did: nothing (`verb` absent), or created or updated the object. */
interface Applied {
  readonly kind: string;
  readonly verb?: 'Created' | 'Updated';
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

export class Controller {
  readonly #o: ControllerOptions;
  readonly models: Informer<AIModel & KubeObject>;
  readonly versions: Informer<ModelVersion & KubeObject>;
  readonly deployments: Informer<V1Deployment & KubeObject>;
  readonly services: Informer<V1Service & KubeObject>;
  readonly pods: Informer<V1Pod & KubeObject>;
  readonly claims: Informer<V1PersistentVolumeClaim & KubeObject>;
  readonly budgets: Informer<V1PodDisruptionBudget & KubeObject>;
  readonly autoscalers: Informer<V2HorizontalPodAutoscaler & KubeObject>;
  readonly queue: WorkQueue;
  readonly prober?: DownloadProber;
  #resync?: NodeJS.Timeout;

  constructor(options: ControllerOptions) {
    this.#o = options;
    const informer = <T extends KubeObject>(type: ResourceType, labelSelector?: string) =>
      new Informer<T>({
        api: options.api,
        type,
        namespace: options.namespace,
        labelSelector,
        logger: options.logger,
        onRelist: (kind) => options.metrics.relists.inc({ kind }),
      });
    this.models = informer(Resources.AIModel);
    this.versions = informer(Resources.ModelVersion);
    this.deployments = informer(Resources.Deployment, MANAGED_SELECTOR);
    this.services = informer(Resources.Service, MANAGED_SELECTOR);
    this.pods = informer(Resources.Pod, MANAGED_SELECTOR);
    this.claims = informer(Resources.PersistentVolumeClaim, MANAGED_SELECTOR);
    this.budgets = informer(Resources.PodDisruptionBudget, MANAGED_SELECTOR);
    this.autoscalers = informer(Resources.HorizontalPodAutoscaler, MANAGED_SELECTOR);
    const probe = options.config.downloadProbe;
    if (probe.enabled) {
      this.prober = new DownloadProber({
        pods: () => this.pods.list(),
        onChange: (owner) => this.queue.add(`mv:${owner}`),
        logger: options.logger,
        intervalMs: probe.intervalSeconds * 1000,
        timeoutMs: probe.timeoutMs,
        concurrency: probe.concurrency,
      });
    }
    this.queue = new WorkQueue({
      name: 'operator',
      workers: options.workers ?? 4,
      reconcile: (key) => this.#reconcile(key),
      logger: options.logger,
      onResult: (_outcome, seconds) => options.metrics.reconcileDuration.observe(seconds),
    });
    this.#wire();
  }

  #wire(): void {
    this.versions.on((_event, mv) => {
      this.queue.add(`mv:${mv.metadata.namespace}/${mv.metadata.name}`);
      // A burst of version changes (a rollout, a bulk apply) rolls up into one AIModel status write.
      this.queue.addAfter(`aim:${mv.metadata.namespace}/${mv.spec.model}`, ROLLUP_DELAY_MS);
    });
    this.models.on((_event, model) => {
      const ns = model.metadata.namespace as string;
      this.queue.add(`aim:${ns}/${model.metadata.name}`);
      for (const mv of this.versions.list(ns)) {
        if (mv.spec.model === model.metadata.name) this.queue.add(`mv:${ns}/${mv.metadata.name}`);
      }
    });
    const byOwner = (_event: string, child: KubeObject) => {
      const owner = child.metadata.labels?.[LABEL_MODEL_VERSION];
      if (owner) this.queue.add(`mv:${child.metadata.namespace}/${owner}`);
    };
    this.deployments.on(byOwner);
    this.services.on(byOwner);
    this.pods.on(byOwner);
    this.claims.on(byOwner);
    this.budgets.on(byOwner);
    this.autoscalers.on(byOwner);
  }

  get #informers() {
    return [
      this.models,
      this.versions,
      this.deployments,
      this.services,
      this.pods,
      this.claims,
      this.budgets,
      this.autoscalers,
    ];
  }

  /** Fills the caches (initial lists); reconciling starts with `run()`. */
  async sync(): Promise<void> {
    await Promise.all(this.#informers.map((i) => i.start()));
  }

  /** Starts reconciling (the leader only), everything once now and again every resync period. */
  run(): void {
    this.queue.start();
    this.prober?.start();
    this.#enqueueAll();
    this.#resync = setInterval(() => this.#enqueueAll(), (this.#o.resyncSeconds ?? 300) * 1000);
    this.#resync.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#resync);
    await this.prober?.stop();
    await this.queue.shutdown();
    for (const i of this.#informers) i.stop();
  }

  #enqueueAll(): void {
    for (const mv of this.versions.list()) this.queue.add(`mv:${mv.metadata.namespace}/${mv.metadata.name}`);
    for (const m of this.models.list()) this.queue.add(`aim:${m.metadata.namespace}/${m.metadata.name}`);
  }

  async #reconcile(key: string): Promise<undefined> {
    const [kind, ref] = key.split(':') as [string, string];
    const [namespace, name] = ref.split('/') as [string, string];
    const label = kind === 'mv' ? 'ModelVersion' : 'AIModel';
    try {
      if (kind === 'mv') await this.#reconcileVersion(namespace, name);
      else await this.#reconcileModel(namespace, name);
      this.#o.metrics.reconciles.inc({ kind: label, outcome: 'success' });
    } catch (err) {
      this.#o.metrics.reconciles.inc({ kind: label, outcome: 'error' });
      throw err;
    } finally {
      this.#o.metrics.queueDepth.set(this.queue.length);
    }
    return undefined;
  }

  async #reconcileVersion(namespace: string, name: string): Promise<void> {
    const mv = this.versions.get(namespace, name);
    if (!mv || mv.metadata.deletionTimestamp) return; // owner references let the garbage collector do the rest
    const model = this.models.get(namespace, mv.spec.model);
    const desired = desiredVersion(mv, model, this.#o.config);
    let deployment = this.deployments.get(namespace, name);
    try {
      if (desired.kind === 'serve') {
        const [applied, service, claim, budget, autoscaler] = await Promise.all([
          this.#ensure(
            Resources.Deployment,
            this.deployments,
            desired.deployment as V1Deployment & KubeObject,
          ),
          this.#ensure(Resources.Service, this.services, desired.service as V1Service & KubeObject),
          desired.claim
            ? this.#ensure(
                Resources.PersistentVolumeClaim,
                this.claims,
                desired.claim as V1PersistentVolumeClaim & KubeObject,
              )
            : this.#removeClaim(mv).then((): Applied => ({ kind: Resources.PersistentVolumeClaim.kind })),
          this.#ensureOrDelete(
            Resources.PodDisruptionBudget,
            this.budgets,
            desired.disruptionBudget as (V1PodDisruptionBudget & KubeObject) | undefined,
            mv,
          ),
          this.#ensureOrDelete(
            Resources.HorizontalPodAutoscaler,
            this.autoscalers,
            desired.autoscaler as (V2HorizontalPodAutoscaler & KubeObject) | undefined,
            mv,
          ),
        ]);
        deployment = applied.object;
        const results = [applied, service, claim, budget, autoscaler];
        const message = changeMessage(results, name);
        if (message) this.#event(mv, 'Normal', results.find((r) => r.verb)?.verb ?? 'Updated', message);
      } else {
        await this.#removeChildren(mv);
        deployment = undefined;
      }
    } catch (err) {
      await this.#writeVersionStatus(mv, {
        ...(mv.status ?? {}),
        conditions: this.#failedApply(mv, err),
      });
      throw err;
    }
    const pods = this.pods.list(namespace).filter((p) => p.metadata.labels?.[LABEL_MODEL_VERSION] === name);
    const status = clusterVersionStatus({
      version: mv,
      desired,
      deployment,
      pods,
      downloads: (pod) => this.prober?.get(pod),
      now: new Date(),
    });
    await this.#writeVersionStatus(mv, status);
  }

  #failedApply(mv: ModelVersion, err: unknown): Condition[] {
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

  /** Applies `desired` unless the live object already carries every field of it. */
  async #ensure<T extends KubeObject>(
    type: ResourceType,
    cache: Informer<T>,
    desired: T,
  ): Promise<{ object: T; kind: string; verb?: 'Created' | 'Updated' }> {
    const live = cache.get(desired.metadata.namespace as string, desired.metadata.name);
    if (live && isSubset(desired, live)) return { object: live, kind: type.kind };
    const object = await this.#o.api.apply(type, desired);
    cache.remember(object);
    const verb = live ? 'Updated' : 'Created';
    this.#o.logger.info(
      { kind: type.kind, namespace: desired.metadata.namespace, name: desired.metadata.name },
      `${verb} ${type.kind}`,
    );
    return { object, kind: type.kind, verb };
  }

  /** Applies `desired`; without one, deletes the object of that kind the operator made for `mv`, if any. */
  #ensureOrDelete<T extends KubeObject>(
    type: ResourceType,
    cache: Informer<T>,
    desired: T | undefined,
    mv: ModelVersion & KubeObject,
  ): Promise<Applied> {
    if (desired) return this.#ensure(type, cache, desired);
    const live = cache.get(mv.metadata.namespace as string, mv.metadata.name);
    return this.#deleteOwned(mv, [[type, live]]).then((): Applied => ({ kind: type.kind }));
  }

  async #removeChildren(mv: ModelVersion & KubeObject): Promise<void> {
    const ns = mv.metadata.namespace as string;
    const children: [ResourceType, KubeObject | undefined][] = [
      [Resources.Deployment, this.deployments.get(ns, mv.metadata.name)],
      [Resources.Service, this.services.get(ns, mv.metadata.name)],
      [Resources.PersistentVolumeClaim, this.claims.get(ns, cacheClaimName(mv))],
      [Resources.PodDisruptionBudget, this.budgets.get(ns, mv.metadata.name)],
      [Resources.HorizontalPodAutoscaler, this.autoscalers.get(ns, mv.metadata.name)],
    ];
    await this.#deleteOwned(mv, children);
  }

  /**
   * Deletes the cache claim the operator created for `mv` once the version no longer wants one (emptyDir, or
   * an existing claim instead): storage nobody mounts is storage somebody pays for.
   */
  async #removeClaim(mv: ModelVersion & KubeObject): Promise<void> {
    const ns = mv.metadata.namespace as string;
    await this.#deleteOwned(mv, [[Resources.PersistentVolumeClaim, this.claims.get(ns, cacheClaimName(mv))]]);
  }

  async #deleteOwned(
    mv: ModelVersion & KubeObject,
    children: readonly [ResourceType, KubeObject | undefined][],
  ): Promise<void> {
    const ns = mv.metadata.namespace as string;
    for (const [type, child] of children) {
      if (!child?.metadata.ownerReferences?.some((r) => r.uid === mv.metadata.uid)) continue;
      try {
        await this.#o.api.delete(type, ns, child.metadata.name);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      this.#o.logger.info(
        { kind: type.kind, namespace: ns, name: child.metadata.name },
        `Deleted ${type.kind}`,
      );
      this.#event(mv, 'Normal', 'Deleted', `Deleted ${type.kind} ${child.metadata.name}`);
    }
  }

  async #writeVersionStatus(mv: ModelVersion & KubeObject, status: ModelVersion['status']): Promise<void> {
    if (sameStatus(mv.status, status)) return;
    const written = await this.#o.api.applyStatus<ModelVersion & KubeObject>(
      Resources.ModelVersion,
      mv.metadata.namespace as string,
      mv.metadata.name,
      status,
    );
    this.versions.remember(written);
    this.#announce(mv, mv.status?.conditions, status?.conditions);
  }

  /** Events are best effort and never hold a reconcile up (the recorder logs its own failures). */
  #event(object: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.#o.events.record(object, type, reason, message);
  }

  #announce(object: KubeObject, before?: readonly Condition[], after?: readonly Condition[]): void {
    const event = readyEvent(before, after);
    if (event) this.#event(object, event.type, event.reason, event.message);
  }

  async #reconcileModel(namespace: string, name: string): Promise<void> {
    const model = this.models.get(namespace, name);
    if (!model || model.metadata.deletionTimestamp) return;
    const versions = this.versions.list(namespace).filter((v) => v.spec.model === name);
    const status = aiModelStatus({
      model,
      versions,
      credentialsAvailable: await credentialsAvailable(this.#o.api, model),
      now: new Date(),
    });
    if (sameStatus(model.status, status)) return;
    this.models.remember(
      await this.#o.api.applyStatus<AIModel & KubeObject>(Resources.AIModel, namespace, name, status),
    );
    this.#announce(model, model.status?.conditions, status.conditions);
  }
}
