/**
 * Typed client of a runtime (or any Open Inference Protocol v2 gRPC server) for the router, the local
 * operator and tests: one long-lived channel, typed task calls, and RuntimeCallError for every failure.
 * @module
 */
import { type Client, credentials } from '@grpc/grpc-js';
import type { ChatMessage } from '../engine/chat.js';
import {
  type DownloadStatus,
  parseDownloadReason,
  RELOAD_FAILED,
  RELOADING,
} from '../model-store/progress.js';
import { GRPC_MESSAGE_LIMITS } from '../protocol/limits.js';
import { param, readIntParameter, readStringParameter } from '../protocol/parameters.js';
import { healthClientConstructor, inferenceClientConstructor } from '../protocol/proto.js';
import { bytesTensor } from '../protocol/tensors.js';
import type {
  HealthCheckResponse,
  InferParameters,
  ModelIndexEntry,
  ModelInferRequest,
  ModelInferResponse,
  ModelMetadataResponse,
  ServerMetadataResponse,
  ServingStatus,
} from '../protocol/types.js';
import { type CallOptions, unaryCall } from './call.js';
import {
  type ClassifyResult,
  decodeClassify,
  decodeEmbed,
  decodeGenerate,
  decodeTokenize,
  type EmbedResult,
  type GenerateResult,
  type TokenizeResult,
} from './results.js';
import { type GenerateChunk, streamGenerate } from './stream.js';

/** Names the model (and optionally the version) a task call goes to. */
export interface ModelTarget {
  readonly model: string;
  /** Empty or absent lets the server choose (a runtime serves one version). */
  readonly version?: string;
}

/** Exactly one of `prompt` and `messages`. */
export interface GenerateRequest extends ModelTarget {
  /** A text to continue as it is. */
  readonly prompt?: string;
  /**
   * A chat, sent as the `messages` input: the runtime renders it with the model's chat template (a plain
   * transcript without one) and stops at the template's end-of-turn token.
   */
  readonly messages?: readonly ChatMessage[];
  readonly maxTokens?: number;
  readonly temperature?: number;
  readonly topP?: number;
  readonly topK?: number;
  readonly seed?: number | bigint;
  readonly stop?: readonly string[];
  /** Choices to generate (1..8); the result's `choices` has one per choice. */
  readonly n?: number;
  /** Each choice's tokens with their log-probabilities and `topLogprobs` (0..20) alternatives. */
  readonly logprobs?: boolean;
  readonly topLogprobs?: number;
  /** Token id -> bias from -100 to 100, added to its logit. */
  readonly logitBias?: Readonly<Record<string, number>>;
  /** -2..2 (OpenAI's). */
  readonly presencePenalty?: number;
  readonly frequencyPenalty?: number;
  /** > 0, 1 is off (transformers'). */
  readonly repetitionPenalty?: number;
}

export interface ClassifyRequest extends ModelTarget {
  readonly texts: readonly string[];
  readonly topK?: number;
  /** Texts longer than the model's window: truncated (true, the runtime's default) or refused (false). */
  readonly truncate?: boolean;
}

export interface EmbedRequest extends ModelTarget {
  readonly texts: readonly string[];
  /** L2-normalise; absent: as the model's sentence-transformers files say (else true). */
  readonly normalize?: boolean;
  /** Texts longer than the model's window: truncated (true, the runtime's default) or refused (false). */
  readonly truncate?: boolean;
}

export interface TokenizeRequest extends ModelTarget {
  readonly text: string;
}

/** A tensor in model metadata; -1 marks a variable dimension. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: string;
  readonly shape: number[];
}

/** ModelMetadata with numeric shapes. */
export interface ModelMetadata {
  readonly name: string;
  readonly versions: string[];
  readonly platform: string;
  readonly inputs: TensorSpec[];
  readonly outputs: TensorSpec[];
  /** The artifact fetch behind the loaded model (a paissive runtime's extension; absent from other servers). */
  readonly download?: DownloadStatus;
}

function downloadOf(parameters: InferParameters | undefined): DownloadStatus | undefined {
  const state = readStringParameter(parameters, 'download_state');
  if (state === undefined) return undefined;
  return {
    state: state as DownloadStatus['state'],
    bytesDownloaded: Number(readIntParameter(parameters, 'bytes_downloaded') ?? 0n),
    bytesTotal: Number(readIntParameter(parameters, 'bytes_total') ?? 0n),
  };
}

/** The fetch progress a RepositoryIndex entry's reason carries while its model downloads, if it does. */
export function downloadProgressOf(entry: ModelIndexEntry): DownloadStatus | undefined {
  return parseDownloadReason(entry.reason);
}

/**
 * Where a model's latest load stands, read from its RepositoryIndex entry:
 * - `loading`: a load or reload is running (`download` while its artifact is being fetched); `serving` when a
 *   previous load keeps answering meanwhile;
 * - `ready`: the latest load succeeded;
 * - `failed`: the latest load failed, with the runtime error's `code` (e.g. `ArtifactInvalid`) and message;
 *   `serving` when it was a reload and the previous load still answers.
 */
export type LoadPhase =
  | { readonly phase: 'loading'; readonly serving: boolean; readonly download?: DownloadStatus }
  | { readonly phase: 'ready' }
  | { readonly phase: 'failed'; readonly serving: boolean; readonly code?: string; readonly message: string };

export function loadPhaseOf(entry: ModelIndexEntry): LoadPhase {
  const download = downloadProgressOf(entry);
  const reloading =
    entry.state === 'READY' && (entry.reason === RELOADING || entry.reason.startsWith(`${RELOADING}: `));
  if (entry.state === 'LOADING' || reloading) {
    return { phase: 'loading', serving: reloading, ...(download ? { download } : {}) };
  }
  const failed = entry.state === 'READY' && entry.reason.startsWith(RELOAD_FAILED);
  if (entry.state === 'READY' && !failed) return { phase: 'ready' };
  const message = failed ? entry.reason.slice(RELOAD_FAILED.length) : entry.reason;
  const code = /^([A-Za-z]+): /.exec(message)?.[1];
  return { phase: 'failed', serving: failed, message, ...(code ? { code } : {}) };
}

function textRequest(
  target: ModelTarget,
  texts: readonly string[],
  parameters: InferParameters,
): ModelInferRequest {
  return bytesRequest(target, 'text_input', texts, parameters);
}

function bytesRequest(
  target: ModelTarget,
  name: string,
  texts: readonly string[],
  parameters: InferParameters,
): ModelInferRequest {
  const input = bytesTensor(name, [texts.length], texts);
  return {
    model_name: target.model,
    model_version: target.version ?? '',
    parameters,
    inputs: [input.tensor],
    raw_input_contents: [input.raw],
  };
}

function generateRequest(request: GenerateRequest): ModelInferRequest {
  const parameters: InferParameters = { task: param.string('generate') };
  if (request.maxTokens !== undefined) parameters.max_tokens = param.int64(request.maxTokens);
  if (request.temperature !== undefined) parameters.temperature = param.double(request.temperature);
  if (request.topP !== undefined) parameters.top_p = param.double(request.topP);
  if (request.topK !== undefined) parameters.top_k = param.int64(request.topK);
  if (request.seed !== undefined) parameters.seed = param.int64(request.seed);
  if (request.stop !== undefined) parameters.stop = param.string(JSON.stringify(request.stop));
  if (request.n !== undefined) parameters.n = param.int64(request.n);
  if (request.logprobs !== undefined) parameters.logprobs = param.bool(request.logprobs);
  if (request.topLogprobs !== undefined) parameters.top_logprobs = param.int64(request.topLogprobs);
  if (request.logitBias !== undefined)
    parameters.logit_bias = param.string(JSON.stringify(request.logitBias));
  if (request.presencePenalty !== undefined)
    parameters.presence_penalty = param.double(request.presencePenalty);
  if (request.frequencyPenalty !== undefined)
    parameters.frequency_penalty = param.double(request.frequencyPenalty);
  if (request.repetitionPenalty !== undefined)
    parameters.repetition_penalty = param.double(request.repetitionPenalty);
  return promptRequest(request, parameters);
}

/** The generate request's one input: its prompt as `text_input`, or its chat as `messages` (JSON). */
function promptRequest(request: GenerateRequest, parameters: InferParameters): ModelInferRequest {
  if ((request.prompt === undefined) === (request.messages === undefined)) {
    throw new TypeError('a generate request takes exactly one of prompt and messages');
  }
  if (request.prompt !== undefined) return textRequest(request, [request.prompt], parameters);
  return bytesRequest(request, 'messages', [JSON.stringify(request.messages)], parameters);
}

export class RuntimeClient {
  private readonly inference: Client;
  private readonly healthClient: Client;

  /** @param address `host:port` of the runtime. */
  constructor(readonly address: string) {
    const Inference = inferenceClientConstructor();
    const Health = healthClientConstructor();
    // Answers up to 64 MiB (grpc-js stops at 4 MiB by default); see protocol/limits.ts.
    this.inference = new Inference(address, credentials.createInsecure(), { ...GRPC_MESSAGE_LIMITS });
    // Both services share the one HTTP/2 channel.
    this.healthClient = new Health(address, credentials.createInsecure(), {
      channelOverride: this.inference.getChannel(),
    });
  }

  /** Closes the channel; calls after this fail. */
  close(): void {
    this.inference.close();
  }

  async serverLive(options?: CallOptions): Promise<boolean> {
    return (await unaryCall<{ live: boolean }>(this.inference, 'ServerLive', {}, options)).live;
  }

  async serverReady(options?: CallOptions): Promise<boolean> {
    return (await unaryCall<{ ready: boolean }>(this.inference, 'ServerReady', {}, options)).ready;
  }

  async modelReady(name: string, version = '', options?: CallOptions): Promise<boolean> {
    return (await unaryCall<{ ready: boolean }>(this.inference, 'ModelReady', { name, version }, options))
      .ready;
  }

  serverMetadata(options?: CallOptions): Promise<ServerMetadataResponse> {
    return unaryCall(this.inference, 'ServerMetadata', {}, options);
  }

  /** Model metadata; tensor shapes come back as numbers (-1 for variable dimensions). */
  async modelMetadata(name: string, version = '', options?: CallOptions): Promise<ModelMetadata> {
    const metadata = await unaryCall<ModelMetadataResponse>(
      this.inference,
      'ModelMetadata',
      { name, version },
      options,
    );
    const numeric = (t: ModelMetadataResponse['inputs'][number]): TensorSpec => ({
      ...t,
      shape: t.shape.map(Number),
    });
    const { parameters, ...rest } = metadata;
    const download = downloadOf(parameters);
    return {
      ...rest,
      inputs: metadata.inputs.map(numeric),
      outputs: metadata.outputs.map(numeric),
      ...(download ? { download } : {}),
    };
  }

  /** `grpc.health.v1.Health/Check` for `service` ("" = the whole server). */
  async health(service = '', options?: CallOptions): Promise<ServingStatus> {
    return (await unaryCall<HealthCheckResponse>(this.healthClient, 'Check', { service }, options)).status;
  }

  /** A raw ModelInfer call, for callers that build their own tensors. */
  infer(request: ModelInferRequest, options?: CallOptions): Promise<ModelInferResponse> {
    return unaryCall(this.inference, 'ModelInfer', request, options);
  }

  async generate(request: GenerateRequest, options?: CallOptions): Promise<GenerateResult> {
    return decodeGenerate(await this.infer(generateRequest(request), options));
  }

  /**
   * Generates token by token over ModelStreamInfer: each chunk holds the new text, the last one the finish
   * reason and token counts. Leaving the loop early (or aborting `options.signal`) cancels the call, and the
   * runtime stops generating. Failures throw RuntimeCallError, as for every other call.
   */
  generateStream(request: GenerateRequest, options?: CallOptions): AsyncIterable<GenerateChunk> {
    return streamGenerate(this.inference, generateRequest(request), options);
  }

  async classify(request: ClassifyRequest, options?: CallOptions): Promise<ClassifyResult> {
    const parameters: InferParameters = { task: param.string('classify') };
    if (request.topK !== undefined) parameters.top_k = param.int64(request.topK);
    if (request.truncate !== undefined) parameters.truncate = param.bool(request.truncate);
    return decodeClassify(
      await this.infer(textRequest(request, request.texts, parameters), options),
      request.topK,
    );
  }

  async embed(request: EmbedRequest, options?: CallOptions): Promise<EmbedResult> {
    const parameters: InferParameters = { task: param.string('embed') };
    if (request.normalize !== undefined) parameters.normalize = param.bool(request.normalize);
    if (request.truncate !== undefined) parameters.truncate = param.bool(request.truncate);
    return decodeEmbed(await this.infer(textRequest(request, request.texts, parameters), options));
  }

  async tokenize(request: TokenizeRequest, options?: CallOptions): Promise<TokenizeResult> {
    const parameters: InferParameters = { task: param.string('tokenize') };
    return decodeTokenize(await this.infer(textRequest(request, [request.text], parameters), options));
  }

  async repositoryIndex(options?: CallOptions): Promise<ModelIndexEntry[]> {
    return (await unaryCall<{ models: ModelIndexEntry[] }>(this.inference, 'RepositoryIndex', {}, options))
      .models;
  }

  /**
   * Re-fetches, re-verifies and reloads `name`; the old load keeps serving until the new one is ready. A runtime
   * runs loads one at a time: a call made while one runs waits for it, then loads again.
   */
  async loadModel(name: string, options?: CallOptions): Promise<void> {
    await unaryCall(this.inference, 'RepositoryModelLoad', { model_name: name }, options);
  }

  async unloadModel(name: string, options?: CallOptions): Promise<void> {
    await unaryCall(this.inference, 'RepositoryModelUnload', { model_name: name }, options);
  }
}
