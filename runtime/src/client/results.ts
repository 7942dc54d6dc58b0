/**
 * Decodes ModelInfer responses into the typed results RuntimeClient returns. A response that breaks the
 * tensor contract raises RuntimeCallError with status UNKNOWN (not retryable: asking again will not fix it).
 * @module
 */
import { status } from '@grpc/grpc-js';
import { RuntimeCallError } from '../errors.js';
import { readIntParameter, readStringParameter } from '../protocol/parameters.js';
import { readTensor, type TensorData } from '../protocol/tensors.js';
import type { ModelInferResponse } from '../protocol/types.js';

export interface GenerateResult {
  readonly text: string;
  readonly finishReason: 'stop' | 'length';
  readonly promptTokens: number;
  readonly completionTokens: number;
}

export interface Classification {
  readonly label: string;
  readonly score: number;
  /** Probability per label, most likely first when top-k was asked for, else in the model's label order. */
  readonly scores: Record<string, number>;
}

export interface ClassifyResult {
  readonly results: Classification[];
  readonly promptTokens: number;
}

export interface EmbedResult {
  readonly embeddings: number[][];
  readonly promptTokens: number;
}

export interface TokenizeResult {
  readonly tokens: string[];
  readonly ids: number[];
}

const malformed = (detail: string, cause?: unknown) =>
  new RuntimeCallError(status.UNKNOWN, `malformed ModelInfer response: ${detail}`, { cause });

function output<D extends TensorData['datatype']>(
  response: ModelInferResponse,
  name: string,
  datatype: D,
): Extract<TensorData, { datatype: D }> {
  const index = response.outputs.findIndex((o) => o.name === name);
  if (index < 0) throw malformed(`no output '${name}'`);
  let tensor: TensorData;
  try {
    tensor = readTensor(response.outputs[index]!, response.raw_output_contents[index]);
  } catch (error) {
    throw malformed((error as Error).message, error);
  }
  if (tensor.datatype !== datatype)
    throw malformed(`output '${name}' is ${tensor.datatype}, expected ${datatype}`);
  return tensor as Extract<TensorData, { datatype: D }>;
}

const strings = (tensor: { data: Buffer[] }) => tensor.data.map((b) => b.toString('utf8'));

function count(response: ModelInferResponse, name: string): number {
  try {
    return Number(readIntParameter(response.parameters, name) ?? 0n);
  } catch (error) {
    throw malformed((error as Error).message, error);
  }
}

/** The first row of a generate response (the client sends one prompt per call). */
export function decodeGenerate(response: ModelInferResponse): GenerateResult {
  const [text] = strings(output(response, 'text_output', 'BYTES'));
  const [finishReason] = strings(output(response, 'finish_reason', 'BYTES'));
  if (text === undefined || (finishReason !== 'stop' && finishReason !== 'length')) {
    throw malformed(`unexpected finish_reason ${JSON.stringify(finishReason)}`);
  }
  return {
    text,
    finishReason,
    promptTokens: count(response, 'prompt_tokens'),
    completionTokens: count(response, 'completion_tokens'),
  };
}

/** Classification results; with `topK`, `scores` keeps only the k most likely labels. */
export function decodeClassify(response: ModelInferResponse, topK?: number): ClassifyResult {
  const labelsJson = readStringParameter(response.parameters, 'labels');
  const labels = labelsJson ? (JSON.parse(labelsJson) as string[]) : [];
  const top = strings(output(response, 'label', 'BYTES'));
  const score = output(response, 'score', 'FP32').data;
  const scores = output(response, 'scores', 'FP32');
  const width = scores.shape[1] ?? 0;
  if (labels.length !== width) throw malformed(`${labels.length} labels for ${width} scores per row`);
  const results = top.map((label, row) => {
    let ranked = labels.map((name, i) => [name, scores.data[row * width + i] as number] as const);
    if (topK !== undefined) ranked = [...ranked].sort((a, b) => b[1] - a[1]).slice(0, topK);
    return { label, score: score[row] as number, scores: Object.fromEntries(ranked) };
  });
  return { results, promptTokens: count(response, 'prompt_tokens') };
}

export function decodeEmbed(response: ModelInferResponse): EmbedResult {
  const tensor = output(response, 'embedding', 'FP32');
  const [rows = 0, dim = 0] = tensor.shape;
  const embeddings = Array.from({ length: rows }, (_, r) =>
    Array.from(tensor.data.subarray(r * dim, (r + 1) * dim)),
  );
  return { embeddings, promptTokens: count(response, 'prompt_tokens') };
}

export function decodeTokenize(response: ModelInferResponse): TokenizeResult {
  const ids = Array.from(output(response, 'token_ids', 'INT64').data, Number);
  return { tokens: strings(output(response, 'tokens', 'BYTES')), ids };
}
