/**
 * The local target: a version's runtime is one child process per local replica, run by the supervisor; its
 * status is read from what those processes report over IPC. The router in the same process dials the
 * addresses it hands out.
 * @module
 */
import type { AIModel, ModelVersion, ModelVersionStatus } from '../../../crds/src/index.js';
import { Reason } from '../conditions.js';
import type { RuntimeTarget } from '../target.js';
import { desiredLocalVersion, type LocalRuntimeSpec, type SkippedVersion } from './desired.js';
import type { RuntimeState, RuntimeSupervisor } from './supervisor.js';
import { localVersionStatus } from './version-status.js';

export interface LocalTargetOptions {
  readonly supervisor: RuntimeSupervisor;
  /** Address runtimes bind to and the router dials. */
  readonly host: string;
  /** Processes per version: min(spec.replicas, this); 1 when absent. */
  readonly maxReplicas?: number;
  /** False: start no runtime process (statuses say RuntimesDisabled). */
  readonly runRuntimes?: boolean;
  /** The manifest file of each object, keyed `Kind/name` (relative `file:` URIs resolve against it). */
  readonly sources: () => ReadonlyMap<string, string>;
}

export class LocalRuntimeTarget implements RuntimeTarget {
  readonly #o: LocalTargetOptions;
  /** What apply last asked for, per version: which processes serve its current spec. */
  readonly #applied = new Map<string, readonly LocalRuntimeSpec[]>();

  constructor(options: LocalTargetOptions) {
    this.#o = options;
  }

  #desired(version: ModelVersion, model: AIModel | undefined): LocalRuntimeSpec[] | SkippedVersion {
    const { host, maxReplicas } = this.#o;
    const desired = desiredLocalVersion(version, model, { sources: this.#o.sources(), host, maxReplicas });
    // With runtimes off, statuses are still written (openai models need them), but no process is started.
    if (Array.isArray(desired) && this.#o.runRuntimes === false) {
      return {
        key: version.metadata.name,
        reason: Reason.RuntimesDisabled,
        message: 'This router starts no runtime processes (LOCAL_RUNTIMES=false)',
      };
    }
    return desired;
  }

  async apply(version: ModelVersion, model: AIModel | undefined): Promise<void> {
    const desired = this.#desired(version, model);
    const specs = Array.isArray(desired) ? desired : [];
    this.#applied.set(version.metadata.name, specs);
    await this.#o.supervisor.apply(version.metadata.name, specs);
  }

  status(version: ModelVersion, model: AIModel | undefined, now: Date): ModelVersionStatus {
    const desired = this.#desired(version, model);
    const specs = Array.isArray(desired) ? desired : [];
    return localVersionStatus({
      version,
      runtimes: this.#runtimesOf(specs),
      desired: specs.length,
      skipped: Array.isArray(desired) ? undefined : desired,
      host: this.#o.host,
      now,
    });
  }

  async remove(version: ModelVersion): Promise<void> {
    this.#applied.delete(version.metadata.name);
    await this.#o.supervisor.apply(version.metadata.name, []);
  }

  /** Ready runtime addresses of a version (the router balances across them). */
  addresses(versionName: string): string[] {
    return this.#runtimesOf(this.#applied.get(versionName) ?? [])
      .filter((r) => r.phase === 'Ready' && r.port)
      .map((r) => `${this.#o.host}:${r.port}`);
  }

  /** The processes running the given specs (a process on an older spec of the version is not one). */
  #runtimesOf(specs: readonly LocalRuntimeSpec[]): RuntimeState[] {
    const wanted = new Map(specs.map((r) => [r.key, r]));
    return this.#o.supervisor.states().filter((s) => wanted.get(s.key)?.hash === s.hash);
  }
}
