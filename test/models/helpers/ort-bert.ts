/**
 * Runs the BERT-style models with plain onnxruntime-node on token ids from the artifact's own
 * tokenizer, right-padding batches with [PAD] = 0 as BERT tokenizers do.
 */
import type { PreTrainedTokenizer } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';

export interface BertOut {
  readonly data: Float32Array;
  readonly dims: readonly number[];
  /** token ids per row, unpadded */
  readonly ids: number[][];
}

export async function runBert(
  session: ort.InferenceSession,
  tok: PreTrainedTokenizer,
  texts: string[],
): Promise<BertOut> {
  const ids = texts.map((t) => Array.from(tok.encode(t)));
  const S = Math.max(...ids.map((r) => r.length));
  const flat = (f: (r: number[], j: number) => number): BigInt64Array =>
    BigInt64Array.from(ids.flatMap((r) => Array.from({ length: S }, (_, j) => BigInt(f(r, j)))));
  const dims = [texts.length, S];
  const out = await session.run({
    input_ids: new ort.Tensor(
      'int64',
      flat((r, j) => r[j] ?? 0),
      dims,
    ),
    attention_mask: new ort.Tensor(
      'int64',
      flat((r, j) => (j < r.length ? 1 : 0)),
      dims,
    ),
    token_type_ids: new ort.Tensor(
      'int64',
      flat(() => 0),
      dims,
    ),
  });
  const first = Object.values(out)[0]!;
  return { data: first.data as Float32Array, dims: first.dims, ids };
}

export function softmax(v: ArrayLike<number>): number[] {
  const max = Math.max(...Array.from(v));
  const e = Array.from(v, (x) => Math.exp(x - max));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** Every word of `text` is a whole vocabulary token (no [UNK], no ## pieces). */
export function allWordsKnown(tok: PreTrainedTokenizer, text: string): boolean {
  return tok.tokenize(text).every((t) => t !== '[UNK]' && !t.startsWith('##'));
}
