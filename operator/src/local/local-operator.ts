/**
 * The operator in local mode: reconciles the manifest folder through the local target (runtime processes)
 * and writes status back into the store, level-triggered (every pass recomputes everything from the
 * current state).
 * @module
 */
import type { Logger } from 'pino';
import type { AIModel, ModelVersion } from '../../../crds/src/index.js';
import { aiModelStatus } from '../status/aimodel-status.js';
import { LocalRuntimeTarget } from './local-target.js';
import type { ManifestStore } from './manifest-store.js';
import type { RuntimeSupervisor } from './supervisor.js';

export interface LocalOperatorOptions {
  readonly store: ManifestStore;
  readonly supervisor: RuntimeSupervisor;
  readonly logger: Logger;
  /** Address runtimes bind to and the router dials. */
  readonly host: string;
  /** Environment that provides API keys of openai models (`spec.endpoint.apiKeyEnv`). */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Processes per version: min(spec.replicas, this); 1 when absent. */
  readonly maxReplicas?: number;
  /** False: write statuses but start no runtime process (a router in front of external models only). */
  readonly runRuntimes?: boolean;
  readonly now?: () => Date;
}

/**
 * Local mode reads API keys from the environment only: a model that names just a Secret cannot be served
 * here; a model that names no key source (e.g. a local Ollama) needs none.
 */
export function localCredentialsAvailable(
  model: AIModel,
  env: Readonly<Record<string, string | undefined>>,
): boolean {
  const endpoint = model.spec.endpoint;
  if (endpoint?.apiKeyEnv) return Boolean(env[endpoint.apiKeyEnv]);
  return !endpoint?.apiKeySecretRef;
}

export class LocalOperator {
  readonly #o: LocalOperatorOptions;
  readonly #now: () => Date;
  readonly #target: LocalRuntimeTarget;
  /** The versions applied last pass: one that leaves the folder has its runtime removed. */
  #applied = new Map<string, ModelVersion>();
  #queue: Promise<void> = Promise.resolve();
  #pending = false;
  readonly #onChange = (): void => this.enqueue();
  readonly #onUpdate = (): void => this.#writeStatus();

  constructor(options: LocalOperatorOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
    this.#target = new LocalRuntimeTarget({
      supervisor: options.supervisor,
      host: options.host,
      maxReplicas: options.maxReplicas,
      runRuntimes: options.runRuntimes,
      sources: () => options.store.snapshot().sources,
    });
  }

  /** Starts reconciling on every manifest change and status on every runtime transition. */
  start(): Promise<void> {
    this.#o.store.on('change', this.#onChange);
    this.#o.supervisor.on('update', this.#onUpdate);
    this.#o.supervisor.on('removed', this.#onUpdate);
    this.enqueue();
    return this.#queue;
  }

  /** Queues one reconcile pass; passes never overlap and bursts of changes coalesce into one. */
  enqueue(): void {
    if (this.#pending) return;
    this.#pending = true;
    this.#queue = this.#queue.then(async () => {
      this.#pending = false;
      try {
        await this.reconcile();
      } catch (err) {
        this.#o.logger.error({ err }, 'Local reconcile failed');
      }
    });
  }

  /** Waits for queued passes (tests and shutdown). */
  idle(): Promise<void> {
    return this.#queue;
  }

  async reconcile(): Promise<void> {
    const { aiModels, modelVersions } = this.#o.store.snapshot();
    const models = new Map(aiModels.map((m) => [m.metadata.name, m]));
    const current = new Map(modelVersions.map((v) => [v.metadata.name, v]));
    const gone = [...this.#applied].filter(([name]) => !current.has(name)).map(([, v]) => v);
    this.#applied = current;
    this.#writeStatus();
    await Promise.all([
      ...modelVersions.map((v) => this.#target.apply(v, models.get(v.spec.model))),
      ...gone.map((v) => this.#target.remove(v)),
    ]);
    this.#writeStatus();
  }

  /** Ready runtime addresses of a version (the router balances across them). */
  addresses(versionName: string): string[] {
    return this.#target.addresses(versionName);
  }

  #writeStatus(): void {
    const { store, env } = this.#o;
    const now = this.#now();
    const snapshot = store.snapshot();
    const models = new Map<string, AIModel>(snapshot.aiModels.map((m) => [m.metadata.name, m]));
    for (const version of snapshot.modelVersions) {
      store.setModelVersionStatus(
        version.metadata.name,
        this.#target.status(version, models.get(version.spec.model), now),
      );
    }
    const versions = store.snapshot().modelVersions;
    for (const model of snapshot.aiModels) {
      store.setAIModelStatus(
        model.metadata.name,
        aiModelStatus({
          model,
          versions: versions.filter((v) => v.spec.model === model.metadata.name),
          credentialsAvailable:
            model.spec.provider === 'openai' ? localCredentialsAvailable(model, env) : undefined,
          now,
        }),
      );
    }
  }

  /** Stops reacting to changes and stops every runtime. */
  async stop(): Promise<void> {
    this.#o.store.off('change', this.#onChange);
    await this.#queue;
    await this.#o.supervisor.stopAll();
    this.#o.supervisor.off('update', this.#onUpdate);
    this.#o.supervisor.off('removed', this.#onUpdate);
  }
}
