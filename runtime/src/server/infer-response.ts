/**
 * Builds ModelInfer responses from task results: the output tensors (raw contents, Triton's default) and the
 * response parameters (token counts, label names).
 * @module
 */
import type { GeneratedToken } from '../engine/decode-scheduler.js';
import type { GenerateResult } from '../engine/model.js';
import { InvalidTensorError } from '../errors.js';
import { param } from '../protocol/parameters.js';
import { bytesTensor, type EncodedTensor, fp32Tensor, int64Tensor } from '../protocol/tensors.js';
import type { InferParameters, ModelInferRequest, ModelInferResponse } from '../protocol/types.js';

/** What a task produced, before output selection. */
export interface TaskOutput {
  readonly tensors: readonly EncodedTensor[];
  readonly parameters: InferParameters;
}

/** The JSON one `logprobs` element holds: per generated token, its id, text, log-probability and alternatives. */
export function logprobsJson(tokens: readonly GeneratedToken[]): string {
  return JSON.stringify(
    tokens.map((t) => ({
      id: t.id,
      token: t.token,
      logprob: t.logprob,
      top: t.top.map((a) => ({ id: a.id, token: a.token, logprob: a.logprob })),
    })),
  );
}

/**
 * `text_output` and `finish_reason` `[B * n]`, choice by choice of each prompt (row `p * n + c`), and, when
 * log-probabilities were asked for, `logprobs` `[B * n]` (one JSON array per row, see `logprobsJson`); the
 * parameter `choices` is n, and `sampled` says whether any row sampled (so the text is not the only answer:
 * callers do not cache it).
 */
export function generateOutput(result: GenerateResult): TaskOutput {
  const rows = [result.rows.length];
  const logprobs = result.rows.every((row) => row.logprobs !== undefined)
    ? [
        bytesTensor(
          'logprobs',
          rows,
          result.rows.map((row) => logprobsJson(row.logprobs ?? [])),
        ),
      ]
    : [];
  return {
    tensors: [
      bytesTensor(
        'text_output',
        rows,
        result.rows.map((row) => row.text),
      ),
      bytesTensor(
        'finish_reason',
        rows,
        result.rows.map((row) => row.finishReason),
      ),
      ...logprobs,
    ],
    parameters: {
      prompt_tokens: param.int64(result.promptTokens),
      completion_tokens: param.int64(result.completionTokens),
      choices: param.int64(result.choices),
      ...(result.sampled === undefined ? {} : { sampled: param.bool(result.sampled) }),
    },
  };
}

export function classifyOutput(
  probs: readonly number[][],
  labels: readonly string[],
  promptTokens: number,
): TaskOutput {
  const best = probs.map((row) => row.reduce((top, p, i) => (p > (row[top] as number) ? i : top), 0));
  return {
    tensors: [
      bytesTensor(
        'label',
        [probs.length],
        best.map((i) => labels[i] as string),
      ),
      fp32Tensor(
        'score',
        [probs.length],
        best.map((i, r) => probs[r]?.[i] as number),
      ),
      fp32Tensor('scores', [probs.length, labels.length], probs.flat()),
    ],
    parameters: { labels: param.string(JSON.stringify(labels)), prompt_tokens: param.int64(promptTokens) },
  };
}

export function embedOutput(embeddings: readonly number[][], dim: number, promptTokens: number): TaskOutput {
  return {
    tensors: [fp32Tensor('embedding', [embeddings.length, dim], embeddings.flat())],
    parameters: { prompt_tokens: param.int64(promptTokens) },
  };
}

export function tokenizeOutput(ids: readonly number[], tokens: readonly string[]): TaskOutput {
  return {
    tensors: [int64Tensor('token_ids', [ids.length], ids), bytesTensor('tokens', [tokens.length], tokens)],
    parameters: { prompt_tokens: param.int64(ids.length) },
  };
}

/**
 * Checks the request's `outputs` against what the task produces, before any work is done.
 * @throws {InvalidTensorError} naming an output the task does not produce.
 */
export function checkRequestedOutputs(
  request: ModelInferRequest,
  produced: readonly string[],
  task: string,
): void {
  for (const requested of request.outputs ?? []) {
    if (!produced.includes(requested.name)) {
      throw new InvalidTensorError(
        `requested output '${requested.name}' is not produced by task ${task} (it produces ${produced.join(', ')})`,
      );
    }
  }
}

/** The response: every output, or only the requested ones, in the task's order. */
export function buildResponse(
  request: ModelInferRequest,
  served: { name: string; version: string },
  output: TaskOutput,
): ModelInferResponse {
  const wanted = new Set((request.outputs ?? []).map((o) => o.name));
  const tensors = output.tensors.filter((t) => wanted.size === 0 || wanted.has(t.tensor.name));
  return {
    model_name: served.name,
    model_version: served.version,
    id: request.id ?? '',
    parameters: output.parameters,
    outputs: tensors.map((t) => t.tensor),
    raw_output_contents: tensors.map((t) => t.raw),
  };
}
