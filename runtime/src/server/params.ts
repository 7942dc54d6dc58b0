/**
 * Request parameters of ModelInfer, read and range-checked into typed task options.
 *
 * Unknown parameters are ignored (clients such as KServe's send their own, e.g. `content_type`), and so are
 * known ones that do not apply to the task being run. Every error names the parameter and the allowed range.
 * @module
 */
import { MODEL_TASKS, type ModelTask } from '../config.js';
import type { GenerateParams } from '../engine/generation-plan.js';
import { InvalidParameterError, UnsupportedTaskError } from '../errors.js';
import {
  readBoolParameter,
  readIntParameter,
  readNumberParameter,
  readStringParameter,
} from '../protocol/parameters.js';
import type { InferParameters } from '../protocol/types.js';

/** What a ModelInfer request can ask for: the model's own task, or tokenization. */
export type InferTask = ModelTask | 'tokenize';

const ALL_TASKS: readonly InferTask[] = [...MODEL_TASKS, 'tokenize'];

/**
 * The task to run: the `task` parameter if given, else the model's own.
 * @throws {UnsupportedTaskError} for an unknown task or one the model cannot do.
 */
export function parseTask(
  params: InferParameters | undefined,
  modelTask: ModelTask,
  modelName: string,
): InferTask {
  const task = readStringParameter(params, 'task');
  if (task === undefined) return modelTask;
  if (!(ALL_TASKS as readonly string[]).includes(task)) {
    throw new UnsupportedTaskError(`unknown task '${task}'; tasks are ${ALL_TASKS.join(', ')}`);
  }
  if (task !== modelTask && task !== 'tokenize') {
    throw new UnsupportedTaskError(
      `model '${modelName}' cannot ${task}; it supports ${modelTask} and tokenize`,
    );
  }
  return task as InferTask;
}

function intInRange(
  params: InferParameters | undefined,
  name: string,
  min: number,
  max: number,
): number | undefined {
  const value = readIntParameter(params, name);
  if (value === undefined) return undefined;
  if (value < BigInt(min) || value > BigInt(max)) {
    throw new InvalidParameterError(name, `must be an integer from ${min} to ${max}, got ${value}`);
  }
  return Number(value);
}

function parseStop(params: InferParameters | undefined): string[] | undefined {
  const text = readStringParameter(params, 'stop');
  if (text === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidParameterError(
      'stop',
      `must hold a JSON array of strings, e.g. ["\\n"], got ${JSON.stringify(text)}`,
    );
  }
  if (!Array.isArray(parsed) || !parsed.every((s) => typeof s === 'string')) {
    throw new InvalidParameterError('stop', `must hold a JSON array of strings, got ${text}`);
  }
  if (parsed.some((s) => s === ''))
    throw new InvalidParameterError('stop', 'must not contain an empty string');
  return parsed;
}

/** Largest max_tokens accepted before the context-window cap applies. */
const MAX_TOKENS_LIMIT = 1_000_000;

/** `max_tokens`, `temperature`, `top_p`, `top_k`, `seed`, `stop`. */
export function parseGenerateParams(params: InferParameters | undefined): GenerateParams {
  const temperature = readNumberParameter(params, 'temperature');
  if (temperature !== undefined && temperature < 0) {
    throw new InvalidParameterError('temperature', `must be 0 (greedy) or more, got ${temperature}`);
  }
  const topP = readNumberParameter(params, 'top_p');
  if (topP !== undefined && !(topP > 0 && topP <= 1)) {
    throw new InvalidParameterError('top_p', `must be in (0, 1], got ${topP}`);
  }
  return {
    maxTokens: intInRange(params, 'max_tokens', 1, MAX_TOKENS_LIMIT),
    temperature,
    topP,
    topK: intInRange(params, 'top_k', 0, Number.MAX_SAFE_INTEGER),
    seed: readIntParameter(params, 'seed'),
    stop: parseStop(params),
  };
}

/**
 * `top_k`: how many labels the caller wants ranked, from 1 to the number of labels; `truncate` (default
 * true): texts longer than the model's window are truncated, or refused with ContextWindowExceeded if false.
 */
export function parseClassifyParams(
  params: InferParameters | undefined,
  labelCount: number,
): { topK?: number; truncate: boolean } {
  const topK = intInRange(params, 'top_k', 1, labelCount);
  const truncate = readBoolParameter(params, 'truncate') ?? true;
  return topK === undefined ? { truncate } : { topK, truncate };
}

/**
 * `normalize` (default: as the model's sentence-transformers files say, else true) and `truncate` (default
 * true, as for classification).
 */
export function parseEmbedParams(params: InferParameters | undefined): {
  normalize: boolean | undefined;
  truncate: boolean;
} {
  return {
    normalize: readBoolParameter(params, 'normalize'),
    truncate: readBoolParameter(params, 'truncate') ?? true,
  };
}
