/**
 * Encoder (BERT-style) tasks: classification (softmax over `logits`) and embeddings (mean pooling of
 * `last_hidden_state` over the attention mask). A request's texts run as one right-padded batch.
 * @module
 */
import * as ort from 'onnxruntime-node';
import { EngineError } from '../errors.js';
import { type PaddedBatch, padRight } from './batch.js';
import { l2Normalize, meanPool, softmax } from './vectors.js';

export class Encoder {
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly padId: number,
  ) {}

  /** Class probabilities per row, in class-index order. */
  async classify(rows: readonly (readonly number[])[]): Promise<number[][]> {
    const { output } = await this.run(rows, 'logits');
    const classes = output.dims[1] as number;
    const data = output.data as Float32Array;
    return rows.map((_, r) => softmax(data.subarray(r * classes, (r + 1) * classes)));
  }

  /** One embedding per row: the mean of its real tokens' hidden states, unit length when `normalize`. */
  async embed(rows: readonly (readonly number[])[], normalize: boolean): Promise<number[][]> {
    const { output, batch } = await this.run(rows, 'last_hidden_state');
    const [, sequence, dim] = output.dims as [number, number, number];
    const data = output.data as Float32Array;
    return rows.map((_, r) => {
      const hidden = data.subarray(r * sequence * dim, (r + 1) * sequence * dim);
      const mask = batch.attentionMask.subarray(r * batch.length, (r + 1) * batch.length);
      const pooled = meanPool(hidden, mask, dim);
      return normalize ? l2Normalize(pooled) : pooled;
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
    // Feed exactly the inputs the graph declares; load-time checks guarantee we have each of them.
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
