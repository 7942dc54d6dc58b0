/**
 * ModelInfer, end to end: check the model name, take a lease on the model, read the texts and parameters,
 * run the task, and build the response.
 * @module
 */
import type { GenerateDelta, LoadedModel } from '../engine/model.js';
import { InvalidTensorError, ModelNotFoundError, statusName, toGrpcStatus } from '../errors.js';
import type { RuntimeMetrics } from '../metrics.js';
import type { InferParameters, ModelInferRequest, ModelInferResponse } from '../protocol/types.js';
import { inputRows, MESSAGES_INPUT, type RequestInput, readInput } from './infer-request.js';
import {
  buildResponse,
  checkRequestedOutputs,
  classifyOutput,
  embedOutput,
  generateOutput,
  type TaskOutput,
  tokenizeOutput,
} from './infer-response.js';
import { type ModelShape, taskOutputs } from './metadata.js';
import type { ModelManager } from './model-manager.js';
import {
  type InferTask,
  parseClassifyParams,
  parseEmbedParams,
  parseGenerateParams,
  parseTask,
} from './params.js';

/** The model name and version this process serves. */
export interface Served {
  readonly name: string;
  readonly version: string;
}

/**
 * Checks that a request addresses the served model; an empty version means "whichever is served".
 * @throws {ModelNotFoundError} otherwise.
 */
export function checkModelRef(name: string, version: string | undefined, served: Served): void {
  if (name !== served.name || (version && version !== served.version)) {
    throw new ModelNotFoundError({ name, version: version ?? '' }, served);
  }
}

/** The dimensions ModelMetadata reports for a loaded model. */
export function modelShape(model: LoadedModel): ModelShape {
  const engine = model.engine;
  if (engine.task === 'classify') return { labels: engine.labels.length };
  if (engine.task === 'embed') return { dim: engine.dim };
  return {};
}

/** What one inference needs besides the request. */
export interface InferContext {
  readonly manager: ModelManager;
  readonly served: Served;
  readonly signal: AbortSignal;
  readonly metrics?: RuntimeMetrics;
  /** The RPC, for `runtime_requests_total{method}`. */
  readonly method?: string;
  /** Streaming generation: receives each choice's new text (and its tokens' logprobs) as it becomes final. */
  readonly onDelta?: (delta: GenerateDelta) => void;
}

async function runTask(
  task: InferTask,
  model: LoadedModel,
  input: RequestInput,
  params: InferParameters | undefined,
  context: InferContext,
): Promise<TaskOutput> {
  const { signal, metrics } = context;
  const engine = model.engine;
  if (task === 'tokenize') {
    if (inputRows(input) !== 1) {
      const what = input.kind === 'text' ? "one text, but 'text_input'" : `one chat, but '${MESSAGES_INPUT}'`;
      throw new InvalidTensorError(`task tokenize takes exactly ${what} holds ${inputRows(input)}`);
    }
    const { ids, tokens } =
      input.kind === 'text' ? model.tokenize(input.texts[0]!) : model.tokenizeChat(input.chats[0]!);
    return tokenizeOutput(ids, tokens);
  }
  if (engine.task === 'generate') {
    const started = performance.now();
    const prompts = input.kind === 'text' ? input.texts : input.chats.map((chat) => ({ chat }));
    const result = await model.generate(prompts, parseGenerateParams(params), signal, context.onDelta);
    if (metrics) {
      const seconds = (performance.now() - started) / 1000;
      metrics.promptTokens.inc(result.promptTokens);
      metrics.generatedTokens.inc(result.completionTokens);
      if (seconds > 0) metrics.tokensPerSecond.observe(result.completionTokens / seconds);
    }
    return generateOutput(result);
  }
  if (input.kind === 'chat') {
    throw new InvalidTensorError(
      `input '${MESSAGES_INPUT}' is for generation models; task ${engine.task} takes 'text_input'`,
    );
  }
  const texts = input.texts;
  if (engine.task === 'classify') {
    const { truncate } = parseClassifyParams(params, engine.labels.length);
    const { probs, promptTokens } = await model.classify(texts, signal, truncate);
    return classifyOutput(probs, engine.labels, promptTokens);
  }
  const { normalize, truncate } = parseEmbedParams(params);
  const { embeddings, promptTokens } = await model.embed(texts, normalize, signal, truncate);
  return embedOutput(embeddings, engine.dim, promptTokens);
}

/**
 * Serves one inference request (ModelInfer, or one request of a ModelStreamInfer stream), counting it in
 * `runtime_requests_total` and, when it succeeds, timing it in `runtime_inference_duration_seconds`.
 */
export async function infer(request: ModelInferRequest, context: InferContext): Promise<ModelInferResponse> {
  const started = performance.now();
  const method = context.method ?? 'ModelInfer';
  try {
    const { response, task } = await inferOnce(request, context);
    context.metrics?.requests.inc({ method, code: 'OK' });
    context.metrics?.inferenceDuration.observe({ task }, (performance.now() - started) / 1000);
    return response;
  } catch (error) {
    context.metrics?.requests.inc({ method, code: statusName(toGrpcStatus(error).code) });
    throw error;
  }
}

/** Checks the request, takes a lease on the model, runs the task. */
export async function inferOnce(
  request: ModelInferRequest,
  context: InferContext,
): Promise<{ response: ModelInferResponse; task: InferTask }> {
  const { served } = context;
  checkModelRef(request.model_name, request.model_version, served);
  const lease = context.manager.acquire();
  try {
    const model = lease.model;
    const input = readInput(request);
    // parseTask only lets through the model's own task or tokenize, so runTask can dispatch on the engine.
    const task = parseTask(request.parameters, model.task, served.name);
    const produced = taskOutputs(task, modelShape(model)).map((t) => t.name);
    checkRequestedOutputs(request, produced, task);
    const output = await runTask(task, model, input, request.parameters, context);
    return { response: buildResponse(request, served, output), task };
  } finally {
    lease.release();
  }
}
