/**
 * Continuous batching for generation: every sequence of every request (unary or streaming) joins one loop
 * that runs a batched step at a time. New sequences are prefilled together (prompts left-padded) before the
 * next decoding step, so a request that arrives mid-way waits one step, not a whole generation; finished
 * sequences leave at once. At most `maxBatchSize` sequences decode together; the rest wait in a queue bounded
 * by `maxQueueSize` (past it: QueueFullError). With `maxBatchSize` 1, sequences run one after another.
 *
 * Each sequence keeps its own plan, PRNG and cache, so batching changes no decision it takes, only the float
 * rounding of its logits.
 * @module
 */
import type { BatchingConfig } from '../config.js';
import { RequestCancelledError } from '../errors.js';
import { type BatchHooks, checkQueueRoom } from './batcher.js';
import type { GenerationPlan } from './generation-plan.js';
import type { Decoder, FinishReason, GeneratedText, SequenceCache } from './generator.js';
import { createRandom } from './prng.js';
import { argmax, sampleToken } from './sampling.js';
import { findStop } from './stop.js';
import type { TextTokenizer } from './tokenizer.js';

export interface SequenceRequest {
  readonly promptIds: readonly number[];
  readonly plan: GenerationPlan;
  readonly signal?: AbortSignal;
  /** Streaming: receives new text as it becomes final (never part of a stop string, never half a character). */
  readonly onText?: (delta: string) => void;
}

interface Sequence {
  readonly request: SequenceRequest;
  readonly random: (() => number) | undefined;
  readonly generated: number[];
  readonly startedAt: number;
  input: readonly number[];
  cache: SequenceCache | undefined;
  emitted: number;
  done: boolean;
  resolve(result: GeneratedText): void;
  reject(error: unknown): void;
}

/** The longest end of `text` that could still grow into a stop string, so it must not be streamed yet. */
export function heldBack(text: string, stops: readonly string[]): number {
  let hold = 0;
  for (const stop of stops) {
    for (let n = Math.min(stop.length - 1, text.length); n > hold; n--) {
      if (text.endsWith(stop.slice(0, n))) {
        hold = n;
        break;
      }
    }
  }
  // A trailing U+FFFD is a character whose bytes have not all been generated yet.
  const partial = /\uFFFD+$/.exec(text.slice(0, text.length - hold))?.[0].length ?? 0;
  return hold + partial;
}

export class DecodeScheduler {
  private readonly waiting: Sequence[] = [];
  private active: Sequence[] = [];
  private running = false;

  constructor(
    private readonly decoder: Decoder,
    private readonly tokenizer: TextTokenizer,
    private readonly eos: ReadonlySet<number>,
    private readonly limits: BatchingConfig,
    private readonly hooks: BatchHooks = {},
  ) {}

  /**
   * Queues every sequence of one request (all or none) and returns one promise per sequence.
   * @throws {QueueFullError} when the queue cannot take them all.
   */
  submit(requests: readonly SequenceRequest[]): Promise<GeneratedText>[] {
    checkQueueRoom(this.waiting.length, requests.length, this.limits, this.hooks);
    const promises = requests.map(
      (request) =>
        new Promise<GeneratedText>((resolve, reject) => {
          const sequence: Sequence = {
            request,
            random: request.plan.sampling ? createRandom(request.plan.seed) : undefined,
            generated: [],
            startedAt: performance.now(),
            input: request.promptIds,
            cache: undefined,
            emitted: 0,
            done: false,
            resolve,
            reject,
          };
          request.signal?.addEventListener('abort', () => this.cancel(sequence), { once: true });
          this.waiting.push(sequence);
        }),
    );
    this.hooks.queueDepth?.(this.waiting.length);
    if (!this.running) {
      this.running = true;
      setImmediate(() => void this.loop());
    }
    return promises;
  }

  private cancel(sequence: Sequence): void {
    if (sequence.done) return;
    sequence.done = true;
    const index = this.waiting.indexOf(sequence);
    if (index >= 0) {
      this.waiting.splice(index, 1);
      this.hooks.queueDepth?.(this.waiting.length);
    }
    // An active one leaves at the end of the current step.
    sequence.reject(new RequestCancelledError());
  }

  private async loop(): Promise<void> {
    try {
      for (;;) {
        this.active = this.active.filter((s) => !s.done);
        while (this.active.length < this.limits.maxBatchSize && this.waiting.length > 0) {
          this.active.push(this.waiting.shift() as Sequence);
        }
        this.hooks.queueDepth?.(this.waiting.length);
        this.hooks.active?.(this.active.length);
        if (this.active.length === 0) return;
        const fresh = this.active.filter((s) => !s.cache);
        await this.step(fresh.length > 0 ? fresh : this.active);
      }
    } finally {
      this.running = false;
      this.hooks.active?.(0);
    }
  }

  private async step(rows: Sequence[]): Promise<void> {
    this.hooks.batch?.(rows.length);
    let result: Awaited<ReturnType<Decoder['step']>>;
    try {
      result = await this.decoder.step(rows.map((s) => ({ input: s.input, cache: s.cache })));
    } catch (error) {
      for (const s of rows) this.fail(s, error);
      return;
    }
    rows.forEach((s, r) => {
      if (s.done) return;
      s.cache = result.caches[r];
      this.advance(s, result.logits[r] as Float32Array);
    });
  }

  private advance(s: Sequence, logits: Float32Array): void {
    const { plan, onText } = s.request;
    const next = plan.sampling && s.random ? sampleToken(logits, plan.sampling, s.random) : argmax(logits);
    s.generated.push(next);
    if (s.generated.length === 1) this.hooks.firstToken?.((performance.now() - s.startedAt) / 1000);
    if (this.eos.has(next)) {
      this.finish(s, this.tokenizer.decode(s.generated.slice(0, -1)), 'stop');
      return;
    }
    // Decoding every step is only needed to watch for stop strings or to stream.
    const text = plan.stop.length > 0 || onText ? this.tokenizer.decode(s.generated) : undefined;
    if (text !== undefined && plan.stop.length > 0) {
      const hit = findStop(text, plan.stop);
      if (hit) {
        this.finish(s, text.slice(0, hit.index), 'stop');
        return;
      }
    }
    if (s.generated.length >= plan.maxNewTokens) {
      this.finish(s, text ?? this.tokenizer.decode(s.generated), 'length');
      return;
    }
    if (onText && text !== undefined) {
      const ready = text.length - heldBack(text, plan.stop);
      if (ready > s.emitted) {
        onText(text.slice(s.emitted, ready));
        s.emitted = ready;
      }
    }
    s.input = [next];
  }

  private finish(s: Sequence, text: string, finishReason: FinishReason): void {
    s.done = true;
    if (s.request.onText && text.length > s.emitted) s.request.onText(text.slice(s.emitted));
    s.resolve({ text, finishReason, completionTokens: s.generated.length });
  }

  private fail(s: Sequence, error: unknown): void {
    if (s.done) return;
    s.done = true;
    s.reject(error);
  }
}
