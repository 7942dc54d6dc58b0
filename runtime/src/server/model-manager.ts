/**
 * Owns the one model this process serves: loading, reloading without a gap, unloading, and counting the
 * requests that use it so that a replaced or unloaded session is released only once nobody runs on it.
 *
 * Loads are serialised: a second RepositoryModelLoad waits for the first, then loads again. Shutdown starts
 * here too: `markDraining()` turns readiness false while work is still taken (so routers stop sending first),
 * after `beginShutdown()` no new request gets the model, and `drain()` waits for the rest.
 *
 * It also follows the artifact fetch of the latest load, for RepositoryIndex, ModelMetadata and IPC.
 * @module
 */
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config.js';
import type { BatchHooks } from '../engine/batcher.js';
import type { LoadedModel } from '../engine/model.js';
import { ModelNotReadyError, RuntimeError, ShuttingDownError } from '../errors.js';
import type { RuntimeMetrics } from '../metrics.js';
import {
  type DownloadStatus,
  describeDownload,
  FETCHING_STATES,
  RELOAD_FAILED,
  RELOADING,
} from '../model-store/progress.js';
import type { Fetch, ModelStore } from '../model-store/store.js';
import type { ModelState } from '../protocol/types.js';
import { loadConfiguredModel, type ModelLoader } from './model-loader.js';

/** State and reason, as RepositoryIndex reports them. */
export interface ModelStatus {
  readonly state: ModelState;
  readonly reason: string;
}

export { type LoadContext, loadConfiguredModel, type ModelLoader } from './model-loader.js';

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

export interface ModelManagerOptions {
  readonly store: ModelStore;
  readonly metrics: RuntimeMetrics;
  readonly loader?: ModelLoader;
}

const describe = (error: unknown) =>
  error instanceof RuntimeError ? `${error.code}: ${error.message}` : `Internal: ${(error as Error).message}`;

export class ModelManager extends EventEmitter<{ change: []; download: [DownloadStatus] }> {
  private current: Slot | undefined;
  private status: ModelStatus = { state: 'UNAVAILABLE', reason: 'not loaded yet' };
  private fetchStatus: DownloadStatus | undefined;
  private loads: Promise<unknown> = Promise.resolve();
  private draining = false;
  private shuttingDown = false;
  private inflight = 0;
  private idle: (() => void)[] = [];
  /** Rows waiting and sequences decoding, as the engine last reported them (read when metrics are scraped). */
  private queued = 0;
  private active = 0;
  private readonly loader: ModelLoader;
  private readonly metrics: RuntimeMetrics;
  private readonly store: ModelStore;
  private readonly hooks: BatchHooks;

  constructor(
    private readonly config: RuntimeConfig,
    private readonly logger: Logger,
    options: ModelManagerOptions,
  ) {
    super();
    // Every open health Watch stream listens for changes; there is no sensible cap on how many callers watch.
    this.setMaxListeners(0);
    this.loader = options.loader ?? loadConfiguredModel;
    this.metrics = options.metrics;
    this.store = options.store;
    const m = this.metrics;
    this.hooks = {
      queueDepth: (rows) => {
        this.queued = rows;
      },
      batch: (rows) => m.batchSize.observe(rows),
      rejected: () => m.queueRejections.inc(),
      active: (n) => {
        this.active = n;
      },
      firstToken: (seconds) => m.timeToFirstToken.observe(seconds),
      queueWait: (seconds) => m.queueWait.observe(seconds),
      timePerOutputToken: (seconds) => m.timePerOutputToken.observe(seconds),
    };
    m.readFrom({
      queueDepth: () => this.queued,
      activeSequences: () => this.active,
      inflight: () => this.inflight,
    });
    this.on('change', () => m.ready.set(this.serving ? 1 : 0));
  }

  /**
   * READY, LOADING or UNAVAILABLE, with a reason. While the artifact is being fetched the reason is its
   * progress, e.g. `downloading: 1048576 of 4194304 bytes` (LOADING), or during a reload, while the previous
   * load serves, `reloading: downloading: 1048576 of 4194304 bytes` (READY).
   */
  get modelStatus(): ModelStatus {
    const fetch = this.fetchStatus;
    if (fetch && FETCHING_STATES.has(fetch.state)) {
      if (this.status.state === 'LOADING') return { state: 'LOADING', reason: describeDownload(fetch) };
      if (this.status.reason === RELOADING) {
        return { state: 'READY', reason: `${RELOADING}: ${describeDownload(fetch)}` };
      }
    }
    return this.status;
  }

  /** The latest artifact fetch's state and bytes; undefined before the first load starts. */
  get downloadStatus(): DownloadStatus | undefined {
    return this.fetchStatus;
  }

  /** True when a model is loaded and the process is not draining: health answers SERVING. */
  get serving(): boolean {
    return this.current !== undefined && !this.draining && !this.shuttingDown;
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
      throw new ModelNotReadyError(
        `model '${this.config.modelName}' is not ready: ${this.modelStatus.reason}`,
      );
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

  /** Health and readiness turn NOT_SERVING, but requests are still taken (routers need time to notice). */
  markDraining(): void {
    if (this.draining) return;
    this.draining = true;
    this.emit('change');
  }

  /** Stops handing out the model; health turns NOT_SERVING. */
  beginShutdown(): void {
    if (this.shuttingDown) return;
    this.draining = true;
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
      previous ? { state: 'READY', reason: RELOADING } : { state: 'LOADING', reason: 'loading' },
    );
    const started = Date.now();
    let model: LoadedModel;
    try {
      model = await this.loader(this.config, {
        store: this.store,
        hooks: this.hooks,
        onFetch: (fetch) => this.follow(fetch),
        warn: (fields, message) => this.logger.warn(fields, message),
      });
    } catch (error) {
      const reason = describe(error);
      this.setStatus(
        previous ? { state: 'READY', reason: `${RELOAD_FAILED}${reason}` } : { state: 'UNAVAILABLE', reason },
      );
      throw error;
    }
    if (this.shuttingDown) {
      await model.release();
      throw new ShuttingDownError();
    }
    this.current = { model, inflight: 0, retired: false };
    this.setStatus({ state: 'READY', reason: '' });
    this.metrics.modelLoadDuration.observe((Date.now() - started) / 1000);
    this.reportExecution(model);
    this.logger.info({ task: model.task, ms: Date.now() - started }, 'Loaded model');
    if (previous) this.retire(previous);
  }

  /** Logs and exports where the session runs; a CUDA request that ended on the CPU is a warning. */
  private reportExecution(model: LoadedModel): void {
    const { provider, requested, fallback } = model.execution;
    this.metrics.executionProvider.reset();
    this.metrics.executionProvider.set({ requested, provider }, 1);
    const fields = { provider, requested, ...(fallback ? { fallback } : {}) };
    if (requested === 'cuda' && provider !== 'cuda') {
      this.logger.warn(fields, 'CUDA was asked for but is not available; running on the CPU');
    } else this.logger.info(fields, `Execution provider: ${provider}`);
  }

  /** Follows a fetch's progress: RepositoryIndex reasons, the `download` event (IPC), health watchers. */
  private follow(fetch: Fetch): void {
    const update = (status: DownloadStatus) => {
      this.fetchStatus = status;
      this.emit('download', status);
    };
    update(fetch.progress.status);
    fetch.progress.on('change', update);
    fetch.result.then(
      () => fetch.progress.off('change', update),
      () => fetch.progress.off('change', update),
    );
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
