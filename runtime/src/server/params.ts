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

/** Most choices one request may ask for (`n`), as most OpenAI-compatible servers cap it. */
export const MAX_CHOICES = 8;
/** Most alternatives per token (`top_logprobs`), OpenAI's limit. */
export const MAX_TOP_LOGPROBS = 20;

function numberInRange(
  params: InferParameters | undefined,
  name: string,
  accepts: (v: number) => boolean,
  range: string,
): number | undefined {
  const value = readNumberParameter(params, name);
  if (value !== undefined && !(Number.isFinite(value) && accepts(value))) {
    throw new InvalidParameterError(name, `must be ${range}, got ${value}`);
  }
  return value;
}

/** `logit_bias`: a JSON object of token id -> bias from -100 to 100, e.g. {"50256": -100}. */
export function parseLogitBias(text: string | undefined): Map<number, number> | undefined {
  if (text === undefined) return undefined;
  const shape = `must hold a JSON object of token id -> bias from -100 to 100, e.g. {"50256": -100}`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new InvalidParameterError('logit_bias', `${shape}, got ${JSON.stringify(text)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new InvalidParameterError('logit_bias', `${shape}, got ${text}`);
  }
  const bias = new Map<number, number>();
  for (const [key, value] of Object.entries(parsed)) {
    if (!/^(0|[1-9]\d{0,9})$/.test(key) || Number(key) > 2 ** 31 - 1) {
      throw new InvalidParameterError('logit_bias', `${shape}; key ${JSON.stringify(key)} is not a token id`);
    }
    if (typeof value !== 'number' || !(value >= -100 && value <= 100)) {
      throw new InvalidParameterError(
        'logit_bias',
        `${shape}; the bias of ${key} is ${JSON.stringify(value)}`,
      );
    }
    bias.set(Number(key), value);
  }
  return bias;
}

/**
 * `max_tokens`, `temperature`, `top_p`, `top_k`, `seed`, `stop`, `n`, `logprobs`, `top_logprobs`,
 * `logit_bias`, `presence_penalty`, `frequency_penalty`, `repetition_penalty`.
 */
export function parseGenerateParams(params: InferParameters | undefined): GenerateParams {
  const temperature = readNumberParameter(params, 'temperature');
  if (temperature !== undefined && temperature < 0) {
    throw new InvalidParameterError('temperature', `must be 0 (greedy) or more, got ${temperature}`);
  }
  const topP = readNumberParameter(params, 'top_p');
  if (topP !== undefined && !(topP > 0 && topP <= 1)) {
    throw new InvalidParameterError('top_p', `must be in (0, 1], got ${topP}`);
  }
  const logprobs = readBoolParameter(params, 'logprobs');
  const topLogprobs = intInRange(params, 'top_logprobs', 0, MAX_TOP_LOGPROBS);
  if (topLogprobs !== undefined && logprobs !== true) {
    throw new InvalidParameterError('top_logprobs', 'needs parameter logprobs set to true');
  }
  const penalty = (name: string) => numberInRange(params, name, (v) => v >= -2 && v <= 2, 'from -2 to 2');
  return {
    maxTokens: intInRange(params, 'max_tokens', 1, MAX_TOKENS_LIMIT),
    temperature,
    topP,
    topK: intInRange(params, 'top_k', 0, Number.MAX_SAFE_INTEGER),
    seed: readIntParameter(params, 'seed'),
    stop: parseStop(params),
    n: intInRange(params, 'n', 1, MAX_CHOICES),
    logprobs,
    topLogprobs,
    logitBias: parseLogitBias(readStringParameter(params, 'logit_bias')),
    presencePenalty: penalty('presence_penalty'),
    frequencyPenalty: penalty('frequency_penalty'),
    repetitionPenalty: numberInRange(params, 'repetition_penalty', (v) => v > 0, 'above 0 (1 is off)'),
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
