/**
 * Encoder (BERT, DistilBERT, RoBERTa, MPNet style) tasks: classification (class scores from `logits` as
 * transformers' text-classification pipeline makes them, see {@link scoreFunctionOf}) and embeddings (a graph's
 * `sentence_embedding`, else its token states pooled as the model's sentence-transformers files say). A batch
 * of texts runs as one right-padded batch. float16 outputs (fp16 exports) are widened to float32 first.
 * @module
 */
import * as ort from 'onnxruntime-node';
import { EngineError } from '../errors.js';
import { type PaddedBatch, padRight } from './batch.js';
import { halvesOf, widenHalves } from './float16.js';
import { type PoolingMode, pool } from './pooling.js';
import { sigmoid, softmax } from './vectors.js';

/** How class scores come from logits: one softmax over all, one sigmoid per label, or the raw logits. */
export type ScoreFunction = 'softmax' | 'sigmoid' | 'none';

/**
 * transformers' text-classification pipeline's default `function_to_apply`: none (raw values) for
 * `problem_type: "regression"`; a sigmoid per column for `multi_label_classification` or a single column
 * (cross-encoder rerankers: num_labels 1, no problem_type); else a softmax over the columns.
 */
export function scoreFunctionOf(problemType: unknown, classes: number): ScoreFunction {
  if (problemType === 'regression') return 'none';
  if (problemType === 'multi_label_classification' || classes === 1) return 'sigmoid';
  return 'softmax';
}

const SCORES: Record<ScoreFunction, (logits: Float32Array) => number[]> = {
  softmax,
  sigmoid,
  none: (logits) => Array.from(logits),
};

/** An output's values as float32: float16 halves widened, float32 as is; any other type is refused. */
export function floatValues(output: ort.Tensor, name: string): Float32Array {
  if (output.type === 'float32') return output.data as Float32Array;
  if (output.type === 'float16') return widenHalves(halvesOf(output.data));
  throw new EngineError(`output ${name} is ${output.type}; only float32 and float16 are supported`);
}

/** What an embedding is read from: a pooled graph output, or token states pooled here. */
export type EmbeddingSource =
  | { readonly output: string; readonly pooled: true }
  | { readonly output: string; readonly pooled: false; readonly pooling: readonly PoolingMode[] };

export class Encoder {
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly padId: number,
  ) {}

  /** Class scores per row, in class-index order. */
  async classify(
    rows: readonly (readonly number[])[],
    scores: ScoreFunction = 'softmax',
  ): Promise<number[][]> {
    const { output } = await this.run(rows, 'logits');
    const classes = output.dims[1] as number;
    const data = floatValues(output, 'logits');
    const score = SCORES[scores];
    return rows.map((_, r) => score(data.subarray(r * classes, (r + 1) * classes)));
  }

  /** One embedding per row, not normalised: the graph's pooled vector, or its token states pooled. */
  async embed(rows: readonly (readonly number[])[], source: EmbeddingSource): Promise<number[][]> {
    const { output, batch } = await this.run(rows, source.output);
    const data = floatValues(output, source.output);
    if (source.pooled) {
      const dim = output.dims[1] as number;
      return rows.map((_, r) => Array.from(data.subarray(r * dim, (r + 1) * dim)));
    }
    const [, sequence, dim] = output.dims as [number, number, number];
    return rows.map((_, r) => {
      const hidden = data.subarray(r * sequence * dim, (r + 1) * sequence * dim);
      const mask = batch.attentionMask.subarray(r * batch.length, (r + 1) * batch.length);
      return pool(hidden, mask, dim, source.pooling);
    });
  }

  private async run(
    rows: readonly (readonly number[])[],
    outputName: string,
  ): Promise<{ output: ort.Tensor; batch: PaddedBatch }> {
    const batch = padRight(rows, this.padId);
    const dims = [batch.batch, batch.length];
    const available: Record<string, ort.Tensor> = {
      input_ids: new ort.Tensor('int64', batch.inputIds, dims),
      attention_mask: new ort.Tensor('int64', batch.attentionMask, dims),
      token_type_ids: new ort.Tensor('int64', batch.tokenTypeIds, dims),
    };
    // Feed exactly the inputs the graph declares (token_type_ids is optional: RoBERTa, MPNet, DistilBERT
    // have none); load-time checks guarantee we have each of them.
    const feeds = Object.fromEntries(
      this.session.inputNames.map((name) => [name, available[name] as ort.Tensor]),
    );
    try {
      const outputs = await this.session.run(feeds, [outputName]);
      return { output: outputs[outputName] as ort.Tensor, batch };
    } catch (error) {
      throw new EngineError(`onnxruntime failed: ${(error as Error).message}`, { cause: error });
    }
  }
}
