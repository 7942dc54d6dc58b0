/**
 * Decodes ModelInfer responses into the typed results RuntimeClient returns. A response that breaks the
 * tensor contract raises RuntimeCallError with status UNKNOWN (not retryable: asking again will not fix it).
 * @module
 */
import { status } from '@grpc/grpc-js';
import { RuntimeCallError } from '../errors.js';
import { readBoolParameter, readIntParameter, readStringParameter } from '../protocol/parameters.js';
import { readTensor, type TensorData } from '../protocol/tensors.js';
import type { ModelInferResponse } from '../protocol/types.js';

/** A token and its log-probability. */
export interface TokenLogprob {
  readonly id: number;
  /** The token's own decoded text. */
  readonly token: string;
  readonly logprob: number;
}

/** A generated token with its log-probability and the most likely alternatives at its step. */
export interface GeneratedTokenLogprob extends TokenLogprob {
  readonly top: readonly TokenLogprob[];
}

export type FinishReason = 'stop' | 'length';

/** One choice of a generation. */
export interface GenerateChoice {
  readonly text: string;
  readonly finishReason: FinishReason;
  /** When asked for: every generated token but an end-of-sequence one. */
  readonly logprobs?: readonly GeneratedTokenLogprob[];
}

export interface GenerateResult {
  /** Choice 0's. */
  readonly text: string;
  readonly finishReason: FinishReason;
  /** Every choice, in order (one unless `n` was asked for). */
  readonly choices: readonly GenerateChoice[];
  readonly promptTokens: number;
  /** Over every choice. */
  readonly completionTokens: number;
  /**
   * Set (true) when the runtime sampled, by the request's parameters or the model's generation_config.json:
   * the text is one answer of many, not to be cached as the answer to the prompt. Absent: greedy.
   */
  readonly sampled?: true;
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

/** A finish_reason element, checked. */
export function finishReasonOf(value: string | undefined): FinishReason {
  if (value !== 'stop' && value !== 'length')
    throw malformed(`unexpected finish_reason ${JSON.stringify(value)}`);
  return value;
}

const isTokenLogprob = (v: unknown): v is TokenLogprob => {
  const t = v as TokenLogprob | null;
  return (
    typeof t === 'object' &&
    t !== null &&
    Number.isInteger(t.id) &&
    typeof t.token === 'string' &&
    typeof t.logprob === 'number'
  );
};

/** One `logprobs` element: a JSON array of tokens, each with `id`, `token`, `logprob` and `top`. */
export function parseLogprobs(json: string): GeneratedTokenLogprob[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch (error) {
    throw malformed(`logprobs is not JSON: ${(error as Error).message}`, error);
  }
  const valid =
    Array.isArray(parsed) &&
    parsed.every(
      (t) =>
        isTokenLogprob(t) &&
        Array.isArray((t as GeneratedTokenLogprob).top) &&
        (t as GeneratedTokenLogprob).top.every(isTokenLogprob),
    );
  if (!valid) throw malformed('logprobs is not an array of {id, token, logprob, top}');
  return parsed as GeneratedTokenLogprob[];
}

/**
 * The choices of a generate response (the client sends one prompt per call, so every row is one of its
 * choices), with their log-probabilities when the response carries them.
 */
export function decodeGenerate(response: ModelInferResponse): GenerateResult {
  const texts = strings(output(response, 'text_output', 'BYTES'));
  const reasons = strings(output(response, 'finish_reason', 'BYTES'));
  const logprobs = response.outputs.some((o) => o.name === 'logprobs')
    ? strings(output(response, 'logprobs', 'BYTES')).map(parseLogprobs)
    : undefined;
  if (
    texts.length === 0 ||
    reasons.length !== texts.length ||
    (logprobs && logprobs.length !== texts.length)
  ) {
    throw malformed(`${texts.length} texts for ${reasons.length} finish reasons`);
  }
  const choices = texts.map((text, i) => ({
    text,
    finishReason: finishReasonOf(reasons[i]),
    ...(logprobs ? { logprobs: logprobs[i] } : {}),
  }));
  const first = choices[0] as GenerateChoice;
  return {
    text: first.text,
    finishReason: first.finishReason,
    choices,
    promptTokens: count(response, 'prompt_tokens'),
    completionTokens: count(response, 'completion_tokens'),
    ...(readBoolParameter(response.parameters, 'sampled') ? { sampled: true as const } : {}),
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
