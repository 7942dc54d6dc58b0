/**
 * `inference.GRPCInferenceService`: the Open Inference Protocol v2 RPCs plus Triton's model-repository
 * extension, for the one model this process serves.
 * @module
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import type { Logger } from 'pino';
import { ModelNotFoundError, ModelNotReadyError } from '../errors.js';
import type { RuntimeMetrics } from '../metrics.js';
import { param } from '../protocol/parameters.js';
import type {
  InferParameters,
  ModelIndexEntry,
  ModelInferRequest,
  ModelInferResponse,
  ModelMetadataResponse,
  ModelRef,
  RepositoryIndexRequest,
  RepositoryModelRequest,
  ServerMetadataResponse,
} from '../protocol/types.js';
import { checkModelRef, infer, modelShape, type Served } from './infer.js';
import { PLATFORM, taskInputs, taskOutputs } from './metadata.js';
import type { ModelManager } from './model-manager.js';
import { SERVER_EXTENSIONS, SERVER_NAME, serverVersion } from './package-info.js';
import { streamInferHandler } from './stream.js';
import { unary } from './unary.js';

export interface InferenceServiceOptions {
  readonly manager: ModelManager;
  readonly served: Served;
  readonly logger: Logger;
  readonly metrics?: RuntimeMetrics;
}

/** ModelMetadata's parameters: the latest artifact fetch (state `local` for file:// directories). */
function downloadParameters(manager: ModelManager): InferParameters {
  const status = manager.downloadStatus;
  if (!status) return {};
  return {
    download_state: param.string(status.state),
    bytes_downloaded: param.int64(status.bytesDownloaded),
    bytes_total: param.int64(status.bytesTotal),
  };
}

function checkRepositoryModel(request: RepositoryModelRequest, served: Served): void {
  if (request.model_name !== served.name) {
    throw new ModelNotFoundError({ name: request.model_name, version: '' }, served);
  }
}

/** Handlers for `server.addService(inferenceServiceDefinition(), ...)`. */
export function inferenceHandlers(options: InferenceServiceOptions): UntypedServiceImplementation {
  const { manager, served, logger, metrics } = options;
  return {
    ServerLive: unary(logger, 'ServerLive', async () => ({ live: true }), 'debug'),

    ServerReady: unary(logger, 'ServerReady', async () => ({ ready: manager.serving }), 'debug'),

    ModelReady: unary(
      logger,
      'ModelReady',
      async (request: ModelRef) => {
        checkModelRef(request.name, request.version, served);
        return { ready: manager.serving };
      },
      'debug',
    ),

    ServerMetadata: unary(
      logger,
      'ServerMetadata',
      async (): Promise<ServerMetadataResponse> => ({
        name: SERVER_NAME,
        version: serverVersion(),
        extensions: [...SERVER_EXTENSIONS],
      }),
      'debug',
    ),

    ModelMetadata: unary(
      logger,
      'ModelMetadata',
      async (request: ModelRef): Promise<ModelMetadataResponse> => {
        checkModelRef(request.name, request.version, served);
        const model = manager.model;
        if (!model) {
          throw new ModelNotReadyError(`model '${served.name}' is not ready: ${manager.modelStatus.reason}`);
        }
        return {
          name: served.name,
          versions: [served.version],
          platform: PLATFORM,
          inputs: taskInputs(model.task),
          outputs: taskOutputs(model.task, modelShape(model)),
          parameters: downloadParameters(manager),
        };
      },
      'debug',
    ),

    ModelInfer: unary(
      logger,
      'ModelInfer',
      (request: ModelInferRequest, context): Promise<ModelInferResponse> =>
        infer(request, { manager, served, signal: context.signal, ...(metrics ? { metrics } : {}) }),
    ),

    ModelStreamInfer: streamInferHandler(options),

    RepositoryIndex: unary(
      logger,
      'RepositoryIndex',
      async (request: RepositoryIndexRequest) => {
        const { state, reason } = manager.modelStatus;
        const entry: ModelIndexEntry = { name: served.name, version: served.version, state, reason };
        return { models: request.ready && state !== 'READY' ? [] : [entry] };
      },
      'debug',
    ),

    RepositoryModelLoad: unary(
      logger,
      'RepositoryModelLoad',
      async (request: RepositoryModelRequest, context) => {
        checkRepositoryModel(request, served);
        context.logger.info('Reloading model');
        await manager.load();
        return {};
      },
    ),

    RepositoryModelUnload: unary(
      logger,
      'RepositoryModelUnload',
      async (request: RepositoryModelRequest, context) => {
        checkRepositoryModel(request, served);
        context.logger.info('Unloading model');
        await manager.unload();
        return {};
      },
    ),
  };
}
