/**
 * ModelInfer, end to end: check the model name, take a lease on the model, read the texts and parameters,
 * run the task, and build the response.
 * @module
 */
import type { LoadedModel } from '../engine/model.js';
import { InvalidTensorError, ModelNotFoundError } from '../errors.js';
import type { InferParameters, ModelInferRequest, ModelInferResponse } from '../protocol/types.js';
import { readTexts } from './infer-request.js';
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

async function runTask(
  task: InferTask,
  model: LoadedModel,
  texts: string[],
  params: InferParameters | undefined,
  signal: AbortSignal,
): Promise<TaskOutput> {
  const engine = model.engine;
  if (task === 'tokenize') {
    if (texts.length !== 1) {
      throw new InvalidTensorError(
        `task tokenize takes exactly one text, but 'text_input' holds ${texts.length}`,
      );
    }
    const { ids, tokens } = model.tokenize(texts[0] as string);
    return tokenizeOutput(ids, tokens);
  }
  if (engine.task === 'generate') {
    return generateOutput(await model.generate(texts, parseGenerateParams(params), signal));
  }
  if (engine.task === 'classify') {
    parseClassifyParams(params, engine.labels.length);
    const { probs, promptTokens } = await model.classify(texts);
    return classifyOutput(probs, engine.labels, promptTokens);
  }
  const { normalize } = parseEmbedParams(params);
  const { embeddings, promptTokens } = await model.embed(texts, normalize);
  return embedOutput(embeddings, engine.dim, promptTokens);
}

/** Serves one ModelInfer request. */
export async function infer(
  request: ModelInferRequest,
  manager: ModelManager,
  served: Served,
  signal: AbortSignal,
): Promise<ModelInferResponse> {
  checkModelRef(request.model_name, request.model_version, served);
  const lease = manager.acquire();
  try {
    const model = lease.model;
    const texts = readTexts(request);
    // parseTask only lets through the model's own task or tokenize, so runTask can dispatch on the engine.
    const task = parseTask(request.parameters, model.task, served.name);
    const produced = taskOutputs(task, modelShape(model)).map((t) => t.name);
    checkRequestedOutputs(request, produced, task);
    return buildResponse(request, served, await runTask(task, model, texts, request.parameters, signal));
  } finally {
    lease.release();
  }
}
