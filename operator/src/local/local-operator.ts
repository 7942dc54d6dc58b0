/**
 * The operator's local target: reconciles the manifest folder into runtime processes and writes status
 * back into the store, level-triggered (every pass recomputes everything from the current state).
 * @module
 */
import type { Logger } from 'pino';
import type { AIModel } from '../../../crds/src/index.js';
import { Reason } from '../conditions.js';
import { aiModelStatus } from '../status/aimodel-status.js';
import { type DesiredLocalState, desiredLocalState } from './desired.js';
import type { ManifestStore } from './manifest-store.js';
import type { RuntimeState, RuntimeSupervisor } from './supervisor.js';
import { localVersionStatus } from './version-status.js';

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
  #desired: DesiredLocalState = { runtimes: [], skipped: [] };
  #queue: Promise<void> = Promise.resolve();
  #pending = false;
  readonly #onChange = (): void => this.enqueue();
  readonly #onUpdate = (): void => this.#writeStatus();

  constructor(options: LocalOperatorOptions) {
    this.#o = options;
    this.#now = options.now ?? (() => new Date());
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
    const snapshot = this.#o.store.snapshot();
    const desired = desiredLocalState({ ...snapshot, host: this.#o.host, maxReplicas: this.#o.maxReplicas });
    // With runtimes off, statuses are still written (openai models need them), but no process is started.
    this.#desired =
      this.#o.runRuntimes === false
        ? {
            runtimes: [],
            skipped: [
              ...desired.skipped,
              ...[...new Set(desired.runtimes.map((r) => r.versionName))].map((key) => ({
                key,
                reason: Reason.RuntimesDisabled,
                message: 'This router starts no runtime processes (LOCAL_RUNTIMES=false)',
              })),
            ],
          }
        : desired;
    this.#writeStatus();
    await this.#o.supervisor.apply(this.#desired.runtimes);
    this.#writeStatus();
  }

  /** The processes currently running the version's current spec (a process on an older spec is not). */
  #runtimesOf(versionName: string): RuntimeState[] {
    const wanted = new Map(
      this.#desired.runtimes.filter((r) => r.versionName === versionName).map((r) => [r.key, r]),
    );
    return this.#o.supervisor.states().filter((s) => wanted.get(s.key)?.hash === s.hash);
  }

  /** Ready runtime addresses of a version (the router balances across them). */
  addresses(versionName: string): string[] {
    return this.#runtimesOf(versionName)
      .filter((r) => r.phase === 'Ready' && r.port)
      .map((r) => `${this.#o.host}:${r.port}`);
  }

  #writeStatus(): void {
    const { store, host, env } = this.#o;
    const now = this.#now();
    const skipped = new Map(this.#desired.skipped.map((s) => [s.key, s]));
    const snapshot = store.snapshot();
    for (const version of snapshot.modelVersions) {
      const key = version.metadata.name;
      store.setModelVersionStatus(
        key,
        localVersionStatus({
          version,
          runtimes: this.#runtimesOf(key),
          desired: this.#desired.runtimes.filter((r) => r.versionName === key).length,
          skipped: skipped.get(key),
          host,
          now,
        }),
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
