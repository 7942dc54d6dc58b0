/**
 * Continuous batching for generation: every sequence of every request (unary or streaming) joins one loop
 * that runs a batched step at a time. New sequences are prefilled together (prompts left-padded) before the
 * next decoding step, so a request that arrives mid-way waits one step, not a whole generation; finished
 * sequences leave at once. At most `maxBatchSize` sequences decode together; the rest wait in a queue bounded
 * by `maxQueueSize` (past it: QueueFullError; a request with more sequences than the whole queue holds:
 * RequestTooLargeError). With `maxBatchSize` 1, sequences run one after another. A failure while a sequence
 * advances (its onText callback threw) fails that sequence; any other failure of the loop fails every sequence.
 *
 * Each sequence keeps its own plan, PRNG, token history and cache, so batching changes no decision it takes,
 * only the float rounding of its logits. Sequences that share one prompt array (the `n` choices of a prompt)
 * and are admitted together are prefilled once: the prompt's logits and cache are given to each of them (the
 * decoder treats caches as immutable inputs, so one cache object can feed several rows).
 *
 * Per step and sequence: the logits get the plan's bias and penalties (sampling.ts `adjustLogits`), a token is
 * chosen greedily or sampled from them, and, when asked, its log-probability and the most likely alternatives
 * are read from the model's raw distribution (before bias, penalties and temperature, as vLLM reports them).
 * @module
 */
import type { BatchingConfig } from '../config.js';
import { EngineError, RequestCancelledError, RuntimeError } from '../errors.js';
import { type BatchHooks, checkQueueRoom } from './batcher.js';
import type { GenerationPlan } from './generation-plan.js';
import type { Decoder, FinishReason, GeneratedText, SequenceCache } from './generator.js';
import { createRandom } from './prng.js';
import { adjustLogits, argmax, sampleToken, stepLogprobs } from './sampling.js';
import { findStop } from './stop.js';
import type { TextTokenizer } from './tokenizer.js';

/** A token's text and log-probability. */
export interface TokenText {
  readonly id: number;
  /** The token's own decoded text (its vocabulary entry for special tokens, which decode to nothing). */
  readonly token: string;
  readonly logprob: number;
}

/** A generated token with its log-probability and, when asked, the most likely alternatives at its step. */
export interface GeneratedToken extends TokenText {
  readonly top: readonly TokenText[];
}

/** One generated sequence; `logprobs` when the plan asks for them (every token but an end-of-sequence one). */
export interface GeneratedSequence extends GeneratedText {
  readonly logprobs?: readonly GeneratedToken[];
}

export interface SequenceRequest {
  /** Sequences given the same array (the choices of one prompt) share its prefill when admitted together. */
  readonly promptIds: readonly number[];
  readonly plan: GenerationPlan;
  readonly signal?: AbortSignal;
  /**
   * Streaming: receives new text as it becomes final (never part of a stop string, never half a character),
   * with the log-probabilities of the tokens generated since the previous call when the plan asks for them.
   * The last call may carry tokens and no text.
   */
  readonly onText?: (delta: string, logprobs?: readonly GeneratedToken[]) => void;
}

interface Sequence {
  readonly request: SequenceRequest;
  readonly random: (() => number) | undefined;
  readonly generated: number[];
  /** What the penalties look at; only kept when the plan has any. */
  readonly history: { seen: Set<number>; generated: Map<number, number> } | undefined;
  readonly logprobs: GeneratedToken[];
  readonly startedAt: number;
  /** When its first token came (time per output token is measured from there). */
  firstTokenAt: number;
  input: readonly number[];
  cache: SequenceCache | undefined;
  emitted: number;
  /** Log-probabilities already handed to `onText`. */
  emittedLogprobs: number;
  done: boolean;
  resolve(result: GeneratedSequence): void;
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

/** Names a request's sequences for RequestTooLargeError: "8 prompts x n 8 = 64 sequences". */
function sequencesOf(requests: readonly SequenceRequest[]): string {
  const prompts = new Set(requests.map((r) => r.promptIds)).size;
  const n = requests.length / prompts;
  if (!Number.isInteger(n) || n === 1) return `${requests.length} sequences`;
  return `${prompts} prompt${prompts === 1 ? '' : 's'} x n ${n} = ${requests.length} sequences`;
}

/** The runtime's own errors as they are; anything else (a callback's, a bug's) as an EngineError wrapping it. */
function engineFailure(error: unknown): RuntimeError {
  if (error instanceof RuntimeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new EngineError(`generation failed: ${message}`, { cause: error });
}

export class DecodeScheduler {
  private readonly waiting: Sequence[] = [];
  private active: Sequence[] = [];
  private running = false;
  private readonly tokenTexts = new Map<number, string>();

  constructor(
    private readonly decoder: Decoder,
    private readonly tokenizer: TextTokenizer,
    private readonly eos: ReadonlySet<number>,
    private readonly limits: BatchingConfig,
    private readonly hooks: BatchHooks = {},
  ) {}

  /**
   * Queues every sequence of one request (all or none) and returns one promise per sequence.
   * @throws {QueueFullError} when the queue cannot take them all now.
   * @throws {RequestTooLargeError} when they are more than the whole queue holds.
   */
  submit(requests: readonly SequenceRequest[]): Promise<GeneratedSequence>[] {
    checkQueueRoom(this.waiting.length, requests.length, this.limits, this.hooks, () =>
      sequencesOf(requests),
    );
    // One abort listener per signal, not per sequence: the n choices of B prompts share one (more than
    // EventTarget's 10 listeners before it warns).
    const bySignal = new Map<AbortSignal, Sequence[]>();
    const promises = requests.map(
      (request) =>
        new Promise<GeneratedSequence>((resolve, reject) => {
          const sequence: Sequence = {
            request,
            random: request.plan.sampling ? createRandom(request.plan.seed) : undefined,
            generated: [],
            history: request.plan.adjustments
              ? { seen: new Set(request.promptIds), generated: new Map() }
              : undefined,
            logprobs: [],
            startedAt: performance.now(),
            firstTokenAt: 0,
            input: request.promptIds,
            cache: undefined,
            emitted: 0,
            emittedLogprobs: 0,
            done: false,
            resolve,
            reject,
          };
          if (request.signal)
            bySignal.set(request.signal, [...(bySignal.get(request.signal) ?? []), sequence]);
          this.waiting.push(sequence);
        }),
    );
    for (const [signal, sequences] of bySignal) {
      const cancelAll = () => {
        for (const sequence of sequences) this.cancel(sequence);
      };
      if (signal.aborted) cancelAll();
      else signal.addEventListener('abort', cancelAll, { once: true });
    }
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
          const admitted = this.waiting.shift() as Sequence;
          this.hooks.queueWait?.((performance.now() - admitted.startedAt) / 1000);
          this.active.push(admitted);
        }
        this.hooks.queueDepth?.(this.waiting.length);
        this.hooks.active?.(this.active.length);
        if (this.active.length === 0) return;
        const fresh = this.active.filter((s) => !s.cache);
        await this.step(fresh.length > 0 ? fresh : this.active);
      }
    } catch (error) {
      // Nothing may escape (the loop runs detached: an unhandled rejection ends the process), and every
      // sequence must settle: the loop's state is unknown, so all of them fail.
      const failure = engineFailure(error);
      for (const s of [...this.active, ...this.waiting.splice(0)]) this.fail(s, failure);
      this.active = [];
    } finally {
      this.running = false;
      this.hooks.active?.(0);
    }
  }

  private async step(rows: Sequence[]): Promise<void> {
    // One decoder row per distinct input array: fresh choices of one prompt share theirs (decoding rows never do).
    const rowOf = new Map<readonly number[], number>();
    const feeds: { input: readonly number[]; cache: SequenceCache | undefined }[] = [];
    const at = rows.map((s) => {
      let r = s.cache ? undefined : rowOf.get(s.input);
      if (r === undefined) {
        r = feeds.push({ input: s.input, cache: s.cache }) - 1;
        if (!s.cache) rowOf.set(s.input, r);
      }
      return r;
    });
    this.hooks.batch?.(feeds.length);
    let result: Awaited<ReturnType<Decoder['step']>>;
    try {
      result = await this.decoder.step(feeds);
    } catch (error) {
      for (const s of rows) this.fail(s, error);
      return;
    }
    rows.forEach((s, i) => {
      if (s.done) return;
      const r = at[i] as number;
      s.cache = result.caches[r];
      try {
        this.advance(s, result.logits[r] as Float32Array);
      } catch (error) {
        // E.g. the request's own onText threw: that sequence fails, the others go on.
        this.fail(s, engineFailure(error));
      }
    });
  }

  /** A token's own text: decoded, or its vocabulary entry when it decodes to nothing (special tokens). */
  private tokenText(id: number): string {
    let text = this.tokenTexts.get(id);
    if (text === undefined) {
      text = this.tokenizer.decode([id]) || (this.tokenizer.tokens([id])[0] ?? '');
      this.tokenTexts.set(id, text);
    }
    return text;
  }

  /** Chooses the next token from `logits` (shared with sibling choices: read, never written). */
  private choose(s: Sequence, logits: Float32Array): number {
    const { plan } = s.request;
    const scores = plan.adjustments && s.history ? adjustLogits(logits, plan.adjustments, s.history) : logits;
    const next = plan.sampling && s.random ? sampleToken(scores, plan.sampling, s.random) : argmax(scores);
    if (s.history) {
      s.history.seen.add(next);
      s.history.generated.set(next, (s.history.generated.get(next) ?? 0) + 1);
    }
    if (plan.logprobs !== undefined && !this.eos.has(next)) {
      const { chosen, top } = stepLogprobs(logits, next, plan.logprobs);
      const text = (t: { id: number; logprob: number }) => ({ ...t, token: this.tokenText(t.id) });
      s.logprobs.push({ ...text(chosen), top: top.map(text) });
    }
    return next;
  }

  private advance(s: Sequence, logits: Float32Array): void {
    const { plan, onText } = s.request;
    const next = this.choose(s, logits);
    s.generated.push(next);
    if (s.generated.length === 1) {
      s.firstTokenAt = performance.now();
      this.hooks.firstToken?.((s.firstTokenAt - s.startedAt) / 1000);
    }
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
        onText(text.slice(s.emitted, ready), ...this.unsentLogprobs(s));
        s.emitted = ready;
      }
    }
    s.input = [next];
  }

  /** The log-probabilities not yet streamed, as `onText`'s optional argument (none when not asked for). */
  private unsentLogprobs(s: Sequence): [readonly GeneratedToken[]] | [] {
    if (s.request.plan.logprobs === undefined) return [];
    const unsent = s.logprobs.slice(s.emittedLogprobs);
    s.emittedLogprobs = s.logprobs.length;
    return [unsent];
  }

  private finish(s: Sequence, text: string, finishReason: FinishReason): void {
    s.done = true;
    // Counted like completionTokens (an end-of-sequence token included): the decode rate the client waited on.
    if (s.generated.length > 1)
      this.hooks.timePerOutputToken?.((performance.now() - s.firstTokenAt) / 1000 / (s.generated.length - 1));
    const { onText, plan } = s.request;
    if (onText && (text.length > s.emitted || s.emittedLogprobs < s.logprobs.length)) {
      onText(text.slice(s.emitted), ...this.unsentLogprobs(s));
    }
    s.resolve({
      text,
      finishReason,
      completionTokens: s.generated.length,
      ...(plan.logprobs === undefined ? {} : { logprobs: s.logprobs }),
    });
  }

  private fail(s: Sequence, error: unknown): void {
    if (s.done) return;
    s.done = true;
    s.reject(error);
  }
}
