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
import { healthServiceDefinition, inferenceServiceDefinition } from '../protocol/proto.js';
import { HealthService } from './health.js';
import { inferenceHandlers } from './inference-service.js';
import { type ModelLoader, ModelManager } from './model-manager.js';

export interface RuntimeServerOptions {
  readonly config: RuntimeConfig;
  readonly logger: Logger;
  /** How the model is resolved and loaded; defaults to the configured artifact. */
  readonly loader?: ModelLoader;
}

/** How long shutdown waits for in-flight requests unless told otherwise. */
export const DEFAULT_SHUTDOWN_GRACE_MS = 10_000;

export class RuntimeServer {
  readonly manager: ModelManager;
  private readonly grpc = new Server();
  private readonly health: HealthService;
  private readonly logger: Logger;
  private readonly config: RuntimeConfig;

  constructor(options: RuntimeServerOptions) {
    this.config = options.config;
    this.logger = options.logger;
    this.manager = new ModelManager(options.config, options.logger, options.loader);
    this.health = new HealthService(this.manager, options.config.modelName);
    const served = { name: options.config.modelName, version: options.config.modelVersion };
    this.grpc.addService(
      inferenceServiceDefinition(),
      inferenceHandlers(this.manager, served, options.logger),
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
   * Health goes NOT_SERVING, new requests get UNAVAILABLE, in-flight ones get up to `graceMs` to finish,
   * then the server closes and the session is released.
   */
  async shutdown(graceMs = DEFAULT_SHUTDOWN_GRACE_MS): Promise<{ drained: boolean }> {
    const started = Date.now();
    this.manager.beginShutdown();
    this.health.endWatches();
    const drained = await this.manager.drain(graceMs);
    if (!drained) this.logger.warn({ graceMs }, 'Shutdown grace ran out with requests still in flight');
    await this.close(Math.max(0, graceMs - (Date.now() - started)));
    // A straggler may still be inside session.run; releasing under it could crash onnxruntime, and the
    // process is about to exit anyway, so only a drained server frees its session.
    if (drained) await this.manager.close();
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
