/**
 * The runtime's gRPC server: the inference service and the health service over one model manager.
 *
 * Binding and loading are separate steps so the process can answer health checks (NOT_SERVING) while the
 * model loads, and shutdown turns health NOT_SERVING before it waits for in-flight requests.
 * @module
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import type { RuntimeConfig } from '../config.js';
import { RuntimeMetrics } from '../metrics.js';
import { ModelStore } from '../model-store/store.js';
import { GRPC_MESSAGE_LIMITS } from '../protocol/limits.js';
import { healthServiceDefinition, inferenceServiceDefinition } from '../protocol/proto.js';
import { HealthService } from './health.js';
import { inferenceHandlers } from './inference-service.js';
import { type ModelLoader, ModelManager } from './model-manager.js';

export interface RuntimeServerOptions {
  readonly config: RuntimeConfig;
  readonly logger: Logger;
  /** How the model is resolved and loaded; defaults to the configured artifact. */
  readonly loader?: ModelLoader;
  /** Where metrics go; a fresh registry by default (several servers in one test process must not share). */
  readonly metrics?: RuntimeMetrics;
  /** The model store; one on the configured cache by default. */
  readonly store?: ModelStore;
}

/** How long shutdown waits for in-flight requests unless told otherwise (DRAIN_GRACE_SECONDS's default). */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

export class RuntimeServer {
  readonly manager: ModelManager;
  readonly metrics: RuntimeMetrics;
  readonly store: ModelStore;
  /** Requests and answers up to 64 MiB (grpc-js stops at 4 MiB by default); see protocol/limits.ts. */
  private readonly grpc = new Server({ ...GRPC_MESSAGE_LIMITS });
  private readonly health: HealthService;
  private readonly logger: Logger;
  private readonly config: RuntimeConfig;

  constructor(options: RuntimeServerOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.metrics =
      options.metrics ??
      new RuntimeMetrics({
        served: { model: options.config.modelName, version: options.config.modelVersion },
      });
    this.store =
      options.store ??
      new ModelStore({ config: options.config, logger: options.logger, metrics: this.metrics });
    this.manager = new ModelManager(options.config, options.logger, {
      store: this.store,
      metrics: this.metrics,
      ...(options.loader ? { loader: options.loader } : {}),
    });
    this.health = new HealthService(this.manager, options.config.modelName);
    const served = { name: options.config.modelName, version: options.config.modelVersion };
    this.grpc.addService(
      inferenceServiceDefinition(),
      inferenceHandlers({ manager: this.manager, served, logger: options.logger, metrics: this.metrics }),
    );
    this.grpc.addService(healthServiceDefinition(), this.health.handlers());
  }

  /** Binds `GRPC_HOST:GRPC_PORT` and starts answering; resolves with the bound port (useful with port 0). */
  listen(): Promise<number> {
    const address = `${this.config.grpcHost}:${this.config.grpcPort}`;
    return new Promise((resolve, reject) => {
      this.grpc.bindAsync(address, ServerCredentials.createInsecure(), (error, port) => {
        if (error) {
          reject(error);
          return;
        }
        this.logger.info({ address, port }, 'Listening');
        resolve(port);
      });
    });
  }

  /** Loads the configured model; rejects with ArtifactInvalidError or ModelLoadFailedError. */
  load(): Promise<void> {
    return this.manager.load();
  }

  /**
   * Health goes NOT_SERVING; for `delayMs` requests are still taken (routers and Kubernetes endpoints need a
   * moment to stop sending); then new requests get UNAVAILABLE, in-flight ones (queued, running and streaming)
   * get up to `graceMs` to finish, then the server closes and the session is released.
   */
  async shutdown(
    graceMs = this.config.drain?.graceMs ?? DEFAULT_SHUTDOWN_GRACE_MS,
    delayMs = 0,
  ): Promise<{ drained: boolean }> {
    this.manager.markDraining();
    this.health.endWatches();
    if (delayMs > 0) {
      this.logger.info({ delayMs }, 'Readiness is false; still serving while routers notice');
      await new Promise((resolve) => setTimeout(resolve, delayMs));
    }
    const started = Date.now();
    this.manager.beginShutdown();
    const drained = await this.manager.drain(graceMs);
    if (!drained) this.logger.warn({ graceMs }, 'Shutdown grace ran out with requests still in flight');
    await this.close(Math.max(0, graceMs - (Date.now() - started)));
    // A straggler may still be inside session.run; releasing under it could crash onnxruntime, and the
    // process is about to exit anyway, so only a drained server frees its session.
    if (drained) await this.manager.close();
    this.store.close();
    this.logger.info({ ms: Date.now() - started, drained }, 'Stopped');
    return { drained };
  }

  private close(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.grpc.forceShutdown();
        resolve();
      }, timeoutMs);
      this.grpc.tryShutdown(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
