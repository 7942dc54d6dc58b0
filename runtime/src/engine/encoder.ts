/**
 * Encoder (BERT, DistilBERT, RoBERTa, MPNet style) tasks: classification (softmax over `logits`, or a sigmoid
 * per label for multi-label models) and embeddings (a graph's `sentence_embedding`, else its token states
 * pooled as the model's sentence-transformers files say). A batch of texts runs as one right-padded batch.
 * @module
 */
import * as ort from 'onnxruntime-node';
import { EngineError } from '../errors.js';
import { type PaddedBatch, padRight } from './batch.js';
import { type PoolingMode, pool } from './pooling.js';
import { sigmoid, softmax } from './vectors.js';

/** How class scores come from logits: one softmax over all, or one sigmoid per label. */
export type ScoreFunction = 'softmax' | 'sigmoid';

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
    const data = output.data as Float32Array;
    const score = scores === 'sigmoid' ? sigmoid : softmax;
    return rows.map((_, r) => score(data.subarray(r * classes, (r + 1) * classes)));
  }

  /** One embedding per row, not normalised: the graph's pooled vector, or its token states pooled. */
  async embed(rows: readonly (readonly number[])[], source: EmbeddingSource): Promise<number[][]> {
    const { output, batch } = await this.run(rows, source.output);
    const data = output.data as Float32Array;
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
