/**
 * Owns the one model this process serves: loading, reloading without a gap, unloading, and counting the
 * requests that use it so that a replaced or unloaded session is released only once nobody runs on it.
 *
 * Loads are serialised: a second RepositoryModelLoad waits for the first, then loads again. Shutdown starts
 * here too: after `beginShutdown()` no new request gets the model, and `drain()` waits for the rest.
 * @module
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config.js';
import { loadModel } from '../engine/load.js';
import type { LoadedModel } from '../engine/model.js';
import { ModelNotReadyError, RuntimeError, ShuttingDownError } from '../errors.js';
import { resolveArtifact } from '../model-store/artifact.js';
import type { ModelState } from '../protocol/types.js';

/** State and reason, as RepositoryIndex reports them. */
export interface ModelStatus {
  readonly state: ModelState;
  readonly reason: string;
}

/** A model in use by one request; `release()` exactly once when the request is done. */
export interface ModelLease {
  readonly model: LoadedModel;
  release(): void;
}

interface Slot {
  readonly model: LoadedModel;
  inflight: number;
  retired: boolean;
}

/** Resolves, verifies and loads the configured artifact. */
export type ModelLoader = (config: RuntimeConfig) => Promise<LoadedModel>;

export const loadConfiguredModel: ModelLoader = async (config) => {
  const artifact = await resolveArtifact(config.artifactUri, config.artifactSha256);
  return loadModel(artifact.dir, config.configuration);
};

const describe = (error: unknown) =>
  error instanceof RuntimeError ? `${error.code}: ${error.message}` : `Internal: ${(error as Error).message}`;

export class ModelManager extends EventEmitter<{ change: [] }> {
  private current: Slot | undefined;
  private status: ModelStatus = { state: 'UNAVAILABLE', reason: 'not loaded yet' };
  private loads: Promise<unknown> = Promise.resolve();
  private shuttingDown = false;
  private inflight = 0;
  private idle: (() => void)[] = [];

  constructor(
    private readonly config: RuntimeConfig,
    private readonly logger: Logger,
    private readonly loader: ModelLoader = loadConfiguredModel,
  ) {
    super();
    // Every open health Watch stream listens for changes; there is no sensible cap on how many callers watch.
    this.setMaxListeners(0);
  }

  /** READY, LOADING or UNAVAILABLE, with a reason. */
  get modelStatus(): ModelStatus {
    return this.status;
  }

  /** True when a model is loaded and the process is not shutting down: health answers SERVING. */
  get serving(): boolean {
    return this.current !== undefined && !this.shuttingDown;
  }

  /** Requests holding the model right now. */
  get inflightRequests(): number {
    return this.inflight;
  }

  /** The loaded model's task and shape, without taking a lease; undefined when none is loaded. */
  get model(): LoadedModel | undefined {
    return this.current?.model;
  }

  /**
   * Loads (or reloads) the configured artifact. The previous model keeps serving until the new one is ready;
   * on failure it stays, and the error is rethrown.
   */
  load(): Promise<void> {
    const run = this.loads.then(() => this.loadNow());
    this.loads = run.catch(() => undefined);
    return run;
  }

  /** Unloads the model: requests get UNAVAILABLE; running ones finish before the session is released. */
  async unload(): Promise<void> {
    await this.loads;
    const slot = this.current;
    this.current = undefined;
    this.setStatus({ state: 'UNAVAILABLE', reason: 'unloaded' });
    if (slot) this.retire(slot);
  }

  /**
   * The model for one request.
   * @throws {ShuttingDownError} after shutdown began.
   * @throws {ModelNotReadyError} when no model is loaded.
   */
  acquire(): ModelLease {
    if (this.shuttingDown) throw new ShuttingDownError();
    const slot = this.current;
    if (!slot)
      throw new ModelNotReadyError(`model '${this.config.modelName}' is not ready: ${this.status.reason}`);
    slot.inflight++;
    this.inflight++;
    let released = false;
    return {
      model: slot.model,
      release: () => {
        if (released) return;
        released = true;
        slot.inflight--;
        this.inflight--;
        if (slot.retired && slot.inflight === 0) this.releaseSlot(slot);
        if (this.inflight === 0) for (const wake of this.idle.splice(0)) wake();
      },
    };
  }

  /** Stops handing out the model; health turns NOT_SERVING. */
  beginShutdown(): void {
    if (this.shuttingDown) return;
    this.shuttingDown = true;
    this.emit('change');
  }

  /** Waits until no request holds the model, or `timeoutMs` passes; true when drained. */
  async drain(timeoutMs: number): Promise<boolean> {
    if (this.inflight === 0) return true;
    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<boolean>((resolve) => this.idle.push(() => resolve(true)));
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    const result = await Promise.race([drained, timedOut]);
    clearTimeout(timer);
    return result;
  }

  /** Releases the session (after shutdown drained, or when giving up on stragglers). */
  async close(): Promise<void> {
    const slot = this.current;
    this.current = undefined;
    if (slot) await slot.model.release();
  }

  private async loadNow(): Promise<void> {
    const previous = this.current;
    this.setStatus(
      previous ? { state: 'READY', reason: 'reloading' } : { state: 'LOADING', reason: 'loading' },
    );
    const started = Date.now();
    let model: LoadedModel;
    try {
      model = await this.loader(this.config);
    } catch (error) {
      const reason = describe(error);
      this.setStatus(
        previous
          ? { state: 'READY', reason: `reload failed, still serving the previous load: ${reason}` }
          : { state: 'UNAVAILABLE', reason },
      );
      throw error;
    }
    if (this.shuttingDown) {
      await model.release();
      throw new ShuttingDownError();
    }
    this.current = { model, inflight: 0, retired: false };
    this.setStatus({ state: 'READY', reason: '' });
    this.logger.info({ task: model.task, ms: Date.now() - started }, 'Loaded model');
    if (previous) this.retire(previous);
  }

  /** Takes a slot out of service; its session is released once its last request is done. */
  private retire(slot: Slot): void {
    slot.retired = true;
    if (slot.inflight === 0) this.releaseSlot(slot);
  }

  private releaseSlot(slot: Slot): void {
    slot.model
      .release()
      .catch((error: unknown) => this.logger.warn({ err: error }, 'Failed to release session'));
  }

  private setStatus(status: ModelStatus): void {
    this.status = status;
    this.emit('change');
  }
}
