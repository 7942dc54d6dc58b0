/**
 * The runtime's typed gRPC client.
 * @module
 */

export type { ChatMessage, ToolCall } from '../engine/chat.js';
export { RuntimeCallError } from '../errors.js';
export { type DownloadState, type DownloadStatus, FETCHING_STATES } from '../model-store/progress.js';
export type {
  ModelIndexEntry,
  ModelInferRequest,
  ModelInferResponse,
  ServingStatus,
} from '../protocol/types.js';
export type { CallOptions } from './call.js';
export type {
  Classification,
  ClassifyResult,
  EmbedResult,
  FinishReason,
  GenerateChoice,
  GeneratedTokenLogprob,
  GenerateResult,
  TokenizeResult,
  TokenLogprob,
} from './results.js';
export {
  type ClassifyRequest,
  downloadProgressOf,
  type EmbedRequest,
  type GenerateRequest,
  type LoadPhase,
  loadPhaseOf,
  type ModelMetadata,
  type ModelTarget,
  RuntimeClient,
  type TensorSpec,
  type TokenizeRequest,
} from './runtime-client.js';
export type { GenerateChunk } from './stream.js';
