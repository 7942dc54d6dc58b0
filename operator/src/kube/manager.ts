/**
 * Runs the operator's controllers over one set of shared informers: one list and one watch per resource
 * type, whose events fan out to the ModelVersion controller and the AIModel controller, each with its own
 * work queue. Caches fill on every replica (`sync`); only the leader reconciles (`run`).
 * @module
 */
import type { Logger } from 'pino';
import type { KubeApi } from '../../../kube/src/api.js';
import type { EventRecorder } from '../../../kube/src/events.js';
import { SharedInformers } from '../../../kube/src/shared-informers.js';
import type { OperatorMetrics } from '../metrics.js';
import type { Announce } from './children.js';
import { DownloadProber } from './download-probe.js';
import { type OperatorInformers, operatorInformers } from './informers.js';
import { KubeRuntimeTarget } from './kube-target.js';
import { AIModelController } from './model-controller.js';
import type { OperatorConfig } from './operator-config.js';
import { ModelVersionController } from './version-controller.js';

export interface ManagerOptions {
  readonly api: KubeApi;
  readonly config: OperatorConfig;
  readonly events: EventRecorder;
  readonly logger: Logger;
  readonly metrics: OperatorMetrics;
  /** Watch one namespace; all when absent. */
  readonly namespace?: string;
  /** Workers per controller. */
  readonly workers?: number;
  readonly resyncSeconds?: number;
}

export class ControllerManager {
  readonly #o: ManagerOptions;
  readonly #shared: SharedInformers;
  readonly caches: OperatorInformers;
  readonly versions: ModelVersionController;
  readonly models: AIModelController;
  readonly prober?: DownloadProber;
  #resync?: NodeJS.Timeout;

  constructor(options: ManagerOptions) {
    this.#o = options;
    const { api, config, logger, metrics } = options;
    this.#shared = new SharedInformers({
      api,
      namespace: options.namespace,
      logger,
      onRelist: (kind) => metrics.relists.inc({ kind }),
    });
    const caches = operatorInformers(this.#shared);
    this.caches = caches;
    metrics.versions.list = () => caches.versions.list();
    // Events are best effort and never hold a reconcile up (the recorder logs its own failures).
    const announce: Announce = (object, type, reason, message) =>
      void options.events.record(object, type, reason, message);
    const afterPass = (): void =>
      metrics.queueDepth.set(this.versions.queue.length + this.models.queue.length);
    const workers = options.workers ?? 4;
    const probe = config.downloadProbe;
    if (probe.enabled) {
      this.prober = new DownloadProber({
        pods: () => caches.pods.list(),
        onChange: (owner) => this.versions.queue.add(owner),
        logger,
        intervalMs: probe.intervalSeconds * 1000,
        timeoutMs: probe.timeoutMs,
        concurrency: probe.concurrency,
      });
    }
    const common = { api, caches, announce, logger, metrics, workers, afterPass };
    const target = new KubeRuntimeTarget({ api, caches, config, announce, logger, downloads: this.prober });
    this.versions = new ModelVersionController({ ...common, target });
    this.models = new AIModelController(common);
  }

  /** Fills the caches (initial lists); reconciling starts with `run()`. */
  sync(): Promise<void> {
    return this.#shared.start();
  }

  /** Starts reconciling (the leader only), everything once now and again every resync period. */
  run(): void {
    this.versions.queue.start();
    this.models.queue.start();
    this.prober?.start();
    this.#enqueueAll();
    this.#resync = setInterval(() => this.#enqueueAll(), (this.#o.resyncSeconds ?? 300) * 1000);
    this.#resync.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.#resync);
    await this.prober?.stop();
    await Promise.all([this.versions.queue.shutdown(), this.models.queue.shutdown()]);
    this.#shared.stop();
  }

  #enqueueAll(): void {
    this.versions.enqueueAll();
    this.models.enqueueAll();
  }
}
