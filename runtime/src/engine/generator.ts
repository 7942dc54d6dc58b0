/**
 * Text generation: a decode loop over a GPT-2-layout ONNX graph with a KV cache.
 *
 * Each prompt runs on its own (batch of one): the first step feeds the whole prompt with an empty cache,
 * every later step feeds one token and the cache the previous step returned. That keeps rows of a request
 * independent of each other (no padding effects) and lets each row stop on its own.
 * @module
 */
import * as ort from 'onnxruntime-node';
import { EngineError, RequestCancelledError } from '../errors.js';
import type { GenerationPlan } from './generation-plan.js';
import type { DecoderLayout } from './layout.js';
import { createRandom } from './prng.js';
import { argmax, sampleToken } from './sampling.js';
import { findStop } from './stop.js';
import type { TextTokenizer } from './tokenizer.js';

/** Why generation ended: a stop string or the end-of-sequence token, or the token budget. */
export type FinishReason = 'stop' | 'length';

export interface GeneratedText {
  readonly text: string;
  readonly finishReason: FinishReason;
  /** Tokens the model produced, including an end-of-sequence token or the one that completed a stop string. */
  readonly completionTokens: number;
}

type Feeds = Record<string, ort.Tensor>;

const int64Tensor = (values: readonly number[], dims: number[]) =>
  new ort.Tensor(
    'int64',
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );

export class Generator {
  private readonly eos: ReadonlySet<number>;

  constructor(
    private readonly session: ort.InferenceSession,
    private readonly layout: DecoderLayout,
    private readonly tokenizer: TextTokenizer,
    eosIds: readonly number[],
  ) {
    this.eos = new Set(eosIds);
  }

  /** Generates a continuation of `promptIds` following `plan`; checks `signal` between steps. */
  async generate(
    promptIds: readonly number[],
    plan: GenerationPlan,
    signal?: AbortSignal,
  ): Promise<GeneratedText> {
    const random = plan.sampling ? createRandom(plan.seed) : undefined;
    const generated: number[] = [];
    let cache = this.emptyCache();
    let step: readonly number[] = promptIds;
    let seen = promptIds.length;
    for (;;) {
      if (signal?.aborted) throw new RequestCancelledError();
      const outputs = await this.run(this.feeds(step, seen, cache));
      const logits = lastPosition(outputs.logits as ort.Tensor);
      const next = plan.sampling && random ? sampleToken(logits, plan.sampling, random) : argmax(logits);
      generated.push(next);
      const completionTokens = generated.length;
      if (this.eos.has(next)) {
        return {
          text: this.tokenizer.decode(generated.slice(0, -1)),
          finishReason: 'stop',
          completionTokens,
        };
      }
      // Decoding every step is only needed to watch for stop strings; without them, decode once at the end.
      if (plan.stop.length > 0) {
        const text = this.tokenizer.decode(generated);
        const hit = findStop(text, plan.stop);
        if (hit) return { text: text.slice(0, hit.index), finishReason: 'stop', completionTokens };
      }
      if (completionTokens >= plan.maxNewTokens) {
        return { text: this.tokenizer.decode(generated), finishReason: 'length', completionTokens };
      }
      cache = this.nextCache(outputs);
      step = [next];
      seen += 1;
    }
  }

  private emptyCache(): Feeds {
    const { layers, heads, headDim } = this.layout;
    const cache: Feeds = {};
    for (let i = 0; i < layers; i++) {
      cache[`past_key_values.${i}.key`] = new ort.Tensor('float32', new Float32Array(0), [
        1,
        heads,
        0,
        headDim,
      ]);
      cache[`past_key_values.${i}.value`] = new ort.Tensor('float32', new Float32Array(0), [
        1,
        heads,
        0,
        headDim,
      ]);
    }
    return cache;
  }

  private nextCache(outputs: ort.InferenceSession.OnnxValueMapType): Feeds {
    const cache: Feeds = {};
    for (let i = 0; i < this.layout.layers; i++) {
      cache[`past_key_values.${i}.key`] = outputs[`present.${i}.key`] as ort.Tensor;
      cache[`past_key_values.${i}.value`] = outputs[`present.${i}.value`] as ort.Tensor;
    }
    return cache;
  }

  /** Feeds for one step: `step` new tokens after `seen - step.length` cached ones. */
  private feeds(step: readonly number[], seen: number, cache: Feeds): Feeds {
    const offset = seen - step.length;
    const feeds: Feeds = {
      ...cache,
      input_ids: int64Tensor(step, [1, step.length]),
      attention_mask: int64Tensor(new Array<number>(seen).fill(1), [1, seen]),
    };
    if (this.layout.usesPositionIds) {
      feeds.position_ids = int64Tensor(
        step.map((_, i) => offset + i),
        [1, step.length],
      );
    }
    return feeds;
  }

  private async run(feeds: Feeds): Promise<ort.InferenceSession.OnnxValueMapType> {
    try {
      return await this.session.run(feeds);
    } catch (error) {
      throw new EngineError(`onnxruntime failed during generation: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }
}

/** The logits of the last position of a `[1, sequence, vocab]` tensor. */
function lastPosition(logits: ort.Tensor): Float32Array {
  const [, sequence, vocab] = logits.dims as [number, number, number];
  return (logits.data as Float32Array).subarray((sequence - 1) * vocab, sequence * vocab);
}
