/**
 * Right-padded int64 batches for encoder (BERT-style) inputs.
 * @module
 */

/** `input_ids`, `attention_mask` and `token_type_ids` for a batch, each `[batch, length]` row-major. */
export interface PaddedBatch {
  readonly batch: number;
  readonly length: number;
  readonly inputIds: BigInt64Array;
  readonly attentionMask: BigInt64Array;
  readonly tokenTypeIds: BigInt64Array;
}

/**
 * Pads token rows on the right to the longest row. Right padding keeps every real token at the position it
 * has when the text runs alone, so a padded row gives the same result as its unpadded run.
 */
export function padRight(rows: readonly (readonly number[])[], padId: number): PaddedBatch {
  const length = Math.max(0, ...rows.map((row) => row.length));
  const inputIds = new BigInt64Array(rows.length * length).fill(BigInt(padId));
  const attentionMask = new BigInt64Array(rows.length * length);
  rows.forEach((row, r) => {
    row.forEach((id, position) => {
      inputIds[r * length + position] = BigInt(id);
      attentionMask[r * length + position] = 1n;
    });
  });
  return {
    batch: rows.length,
    length,
    inputIds,
    attentionMask,
    tokenTypeIds: new BigInt64Array(rows.length * length),
  };
}
