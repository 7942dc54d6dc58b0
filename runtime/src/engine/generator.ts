/**
 * One batched forward step of an ONNX decoder, for every layout `decoderLayout` accepts: with a KV cache
 * (float32 or float16, grouped-query heads, merged decoders' `use_cache_branch`), or without one, by
 * recomputing the whole sequence.
 *
 * Rows of a step may be at different lengths: each row's tokens are right-aligned in the step's input (left
 * padding) and padded positions get attention-mask 0; position ids count each row's own tokens. With a cache,
 * each row's cache is right-aligned in the batch's past too. The graphs build their causal and padding masks
 * from the attention mask, so a padded row computes what it would alone (to float rounding). A graph without a
 * `position_ids` input may count positions from the padded lengths (GPT-2 exports made before Optimum 1.14 use
 * arange(past, past + seq) whatever the mask says), so for such graphs no row is ever padded: a step runs as
 * sub-steps of rows of equal lengths (see {@link UnpaddedDecoder}). After the step
 * each row keeps only its own cache, so rows can join and leave between steps (continuous batching, see
 * `decode-scheduler.ts`). Caches are immutable: a step never writes into the caches it is given, so one cache
 * may feed several sequences.
 * @module
 */
import * as ort from 'onnxruntime-node';
import { EngineError } from '../errors.js';
import { type CacheData, placeRow, readLastLogits, takeRow } from './decoder-tensors.js';
import { halvesOf } from './float16.js';
import type { DecoderLayout, KvCacheLayout } from './layout.js';

/** Why generation ended: a stop string or the end-of-sequence token, or the token budget. */
export type FinishReason = 'stop' | 'length';

export interface GeneratedText {
  readonly text: string;
  readonly finishReason: FinishReason;
  /** Tokens the model produced, including an end-of-sequence token or the one that completed a stop string. */
  readonly completionTokens: number;
}

/**
 * A row's KV cache: per layer a key and a value, each `[kvHeads, length, headDim]` row-major, as float32 or
 * as raw float16 halves (never converted: they are only copied between steps).
 */
export interface KvCache {
  readonly kind: 'kv';
  readonly length: number;
  readonly keys: readonly CacheData[];
  readonly values: readonly CacheData[];
}

/** What a decoder without a cache keeps of a row: the tokens it has seen, to feed again. */
export interface TokenHistory {
  readonly kind: 'tokens';
  readonly length: number;
  readonly tokens: readonly number[];
}

/** What a row carries from one step to the next. */
export type SequenceCache = KvCache | TokenHistory;

/** One row of a step: the tokens to feed and the cache from the row's previous step (none at first). */
export interface StepRow {
  readonly input: readonly number[];
  readonly cache: SequenceCache | undefined;
}

export interface StepResult {
  /** Per row, the logits of its last position. */
  readonly logits: Float32Array[];
  /** Per row, its cache after the step. */
  readonly caches: SequenceCache[];
}

/** Runs batched steps of a decoder graph. */
export interface Decoder {
  /**
   * Runs one step for `rows`. With a KV cache, a row with a cache must feed as many tokens as the longest row
   * (decoding rows feed one each); rows without one (prompts) may differ in length.
   */
  step(rows: readonly StepRow[]): Promise<StepResult>;
}

/**
 * The decoder for a layout: {@link KvCacheDecoder} or {@link RecomputeDecoder}, inside an
 * {@link UnpaddedDecoder} unless padding is safe: the graph takes `position_ids` (the default), or its positions
 * follow the attention mask (ALiBi models: model-files.ts `positionsFollowMask`).
 */
export function createDecoder(
  session: ort.InferenceSession,
  layout: DecoderLayout,
  padId: number,
  paddingSafe: boolean = layout.usesPositionIds,
): Decoder {
  if (layout.kind === 'kv-cache') {
    const decoder = new KvCacheDecoder(session, layout, padId);
    // Rows need no padding when they feed as many tokens over caches of the same length.
    return paddingSafe
      ? decoder
      : new UnpaddedDecoder(decoder, (row) => `${kvCacheOf(row.cache)?.length ?? 0}+${row.input.length}`);
  }
  const decoder = new RecomputeDecoder(session, layout, padId);
  // Rows need no padding when their whole sequences (history and new tokens) are as long.
  return paddingSafe
    ? decoder
    : new UnpaddedDecoder(decoder, (row) => String(historyOf(row.cache).length + row.input.length));
}

/**
 * Runs a step as sub-steps, one per group of rows that need no padding (rows of the same `lengths` key), in
 * the order each group's first row comes, and returns the results in row order. For graphs without a
 * `position_ids` input, which may count positions from the padded lengths instead of the attention mask:
 * padding would shift a row's positions and change its logits. The cost is less batching: rows at different
 * lengths never share a run.
 */
export class UnpaddedDecoder implements Decoder {
  constructor(
    private readonly inner: Decoder,
    private readonly lengths: (row: StepRow) => string,
  ) {}

  async step(rows: readonly StepRow[]): Promise<StepResult> {
    const groups = new Map<string, number[]>();
    rows.forEach((row, r) => {
      const key = this.lengths(row);
      const group = groups.get(key);
      if (group) group.push(r);
      else groups.set(key, [r]);
    });
    if (groups.size <= 1) return this.inner.step(rows);
    const logits: Float32Array[] = new Array(rows.length);
    const caches: SequenceCache[] = new Array(rows.length);
    for (const members of groups.values()) {
      const result = await this.inner.step(members.map((r) => rows[r] as StepRow));
      members.forEach((r, i) => {
        logits[r] = result.logits[i] as Float32Array;
        caches[r] = result.caches[i] as SequenceCache;
      });
    }
    return { logits, caches };
  }
}

/** A row as the token feeds see it: how many earlier tokens it has (in a cache) and the tokens fed now. */
interface FedRow {
  readonly own: number;
  readonly tokens: readonly number[];
}

/**
 * `input_ids`, `attention_mask`, `position_ids` (when the graph takes them) and the logits limit for rows
 * right-aligned in a step `width` tokens wide over a past of `past` positions.
 */
function tokenFeeds(
  rows: readonly FedRow[],
  width: number,
  past: number,
  layout: DecoderLayout,
  padId: number,
): Record<string, ort.Tensor> {
  const batch = rows.length;
  const total = past + width;
  const inputIds = new BigInt64Array(batch * width).fill(BigInt(padId));
  const positionIds = new BigInt64Array(batch * width);
  const mask = new BigInt64Array(batch * total);
  rows.forEach((row, r) => {
    const fed = row.tokens.length;
    for (let t = 0; t < row.own; t++) mask[r * total + past - row.own + t] = 1n;
    for (let k = 0; k < fed; k++) {
      const column = width - fed + k;
      inputIds[r * width + column] = BigInt(row.tokens[k] as number);
      positionIds[r * width + column] = BigInt(row.own + k);
      mask[r * total + past + column] = 1n;
    }
  });
  const feeds: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', inputIds, [batch, width]),
    attention_mask: new ort.Tensor('int64', mask, [batch, total]),
  };
  if (layout.usesPositionIds) feeds.position_ids = new ort.Tensor('int64', positionIds, [batch, width]);
  // Only each row's last position is read, so only its logits are computed.
  if (layout.logitsToKeepInput) feeds[layout.logitsToKeepInput] = new ort.Tensor('int64', [1n], []);
  return feeds;
}

async function run(
  session: ort.InferenceSession,
  feeds: Record<string, ort.Tensor>,
): Promise<ort.InferenceSession.OnnxValueMapType> {
  try {
    return await session.run(feeds);
  } catch (error) {
    throw new EngineError(`onnxruntime failed during generation: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** A decoder with a KV cache: prompts are prefilled once, then each step feeds one token per row. */
export class KvCacheDecoder implements Decoder {
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly layout: KvCacheLayout,
    private readonly padId: number,
  ) {}

  async step(rows: readonly StepRow[]): Promise<StepResult> {
    const { layers, kvHeads, headDim, cacheType } = this.layout;
    const caches = rows.map((row) => kvCacheOf(row.cache));
    const batch = rows.length;
    const width = Math.max(...rows.map((r) => r.input.length));
    const past = Math.max(0, ...caches.map((c) => c?.length ?? 0));
    const total = past + width;
    rows.forEach((row, r) => {
      if ((caches[r]?.length ?? 0) > 0 && row.input.length !== width)
        throw new Error('a cached row must feed as many tokens as the step is wide');
    });
    const feeds = tokenFeeds(
      rows.map((row, r) => ({ own: caches[r]?.length ?? 0, tokens: row.input })),
      width,
      past,
      this.layout,
      this.padId,
    );
    // Merged decoders take their with-past branch only once there is a past to attend over.
    if (this.layout.usesCacheBranch) feeds.use_cache_branch = new ort.Tensor('bool', [past > 0], [1]);
    const plane = kvHeads * past * headDim;
    const dims = [batch, kvHeads, past, headDim];
    for (let i = 0; i < layers; i++) {
      for (const kind of ['key', 'value'] as const) {
        const target =
          cacheType === 'float16' ? new Uint16Array(batch * plane) : new Float32Array(batch * plane);
        caches.forEach((cache, r) => {
          if (!cache || cache.length === 0) return;
          const source = (kind === 'key' ? cache.keys : cache.values)[i] as CacheData;
          placeRow(target, source, { row: r, past, length: cache.length }, this.layout);
        });
        feeds[`past_key_values.${i}.${kind}`] = new ort.Tensor(cacheType, target, dims);
      }
    }
    const outputs = await run(this.session, feeds);
    return {
      logits: readLastLogits(outputs.logits as ort.Tensor, batch),
      caches: rows.map((row, r): KvCache => {
        const length = (caches[r]?.length ?? 0) + row.input.length;
        const take = (name: string) => {
          const data = (outputs[name] as ort.Tensor).data;
          const source = cacheType === 'float16' ? halvesOf(data) : (data as Float32Array);
          return takeRow(source, { row: r, total, length }, this.layout);
        };
        return {
          kind: 'kv',
          length,
          keys: Array.from({ length: layers }, (_, i) => take(`present.${i}.key`)),
          values: Array.from({ length: layers }, (_, i) => take(`present.${i}.value`)),
        };
      }),
    };
  }
}

/**
 * A decoder exported without a cache: every step feeds each row's whole sequence again, so a step costs as
 * much as a prefill of everything so far (quadratic in the generated length, where a cache keeps it linear).
 */
export class RecomputeDecoder implements Decoder {
  constructor(
    private readonly session: ort.InferenceSession,
    private readonly layout: DecoderLayout,
    private readonly padId: number,
  ) {}

  async step(rows: readonly StepRow[]): Promise<StepResult> {
    const sequences = rows.map((row) => [...historyOf(row.cache), ...row.input]);
    const width = Math.max(...sequences.map((s) => s.length));
    const feeds = tokenFeeds(
      sequences.map((tokens) => ({ own: 0, tokens })),
      width,
      0,
      this.layout,
      this.padId,
    );
    const outputs = await run(this.session, feeds);
    return {
      logits: readLastLogits(outputs.logits as ort.Tensor, rows.length),
      caches: sequences.map((tokens): TokenHistory => ({ kind: 'tokens', length: tokens.length, tokens })),
    };
  }
}

function kvCacheOf(cache: SequenceCache | undefined): KvCache | undefined {
  if (cache && cache.kind !== 'kv') throw new Error('a KV-cache decoder was given a token history');
  return cache;
}

function historyOf(cache: SequenceCache | undefined): readonly number[] {
  if (cache && cache.kind !== 'tokens') throw new Error('a decoder without a cache was given a KV cache');
  return cache?.tokens ?? [];
}
