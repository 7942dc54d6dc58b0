/**
 * A loaded model: its task, tokenizer and session, and the task operations the server calls.
 *
 * Texts are tokenized and checked against the context window here, before any session run, so a request
 * that cannot fit fails as INVALID_ARGUMENT and never reaches onnxruntime.
 * @module
 */
import type * as ort from 'onnxruntime-node';
import type { ModelTask } from '../config.js';
import { ContextWindowExceededError, InvalidTensorError } from '../errors.js';
import type { RowBatcher } from './batcher.js';
import type { ChatMessage } from './chat.js';
import type { DecodeScheduler } from './decode-scheduler.js';
import { type GenerateParams, planGeneration } from './generation-plan.js';
import type { GeneratedText } from './generator.js';
import type { GenerationConfig } from './model-files.js';
import { randomSeed, rowSeed } from './prng.js';
import type { ExecutionProvider } from './session.js';
import type { TextTokenizer } from './tokenizer.js';
import { l2Normalize } from './vectors.js';

/** Token rows in, one vector per row out: class probabilities, or pooled (not yet normalised) embeddings. */
export type EncoderBatcher = RowBatcher<readonly number[], number[]>;

/** The task-specific engine of a model. */
export type TaskEngine =
  | {
      readonly task: 'generate';
      readonly scheduler: DecodeScheduler;
      readonly generationConfig: GenerationConfig | undefined;
    }
  | {
      readonly task: 'classify';
      readonly batcher: EncoderBatcher;
      readonly labels: readonly string[];
      /** Longest token row the model takes: longer texts are truncated to it, or refused. */
      readonly window: number | undefined;
    }
  | {
      readonly task: 'embed';
      readonly batcher: EncoderBatcher;
      readonly dim: number;
      readonly window: number | undefined;
      /** Whether embeddings are L2-normalised when a request does not say. */
      readonly normalize: boolean;
    };

/** Where the session runs, and why not on CUDA when it could have. */
export interface ExecutionInfo {
  readonly provider: ExecutionProvider;
  readonly requested: string;
  readonly fallback?: string;
}

export interface LoadedModelParts {
  readonly session: ort.InferenceSession;
  readonly execution: ExecutionInfo;
  readonly tokenizer: TextTokenizer;
  readonly engine: TaskEngine;
  readonly contextWindow: number | undefined;
  readonly defaultMaxTokens: number | undefined;
}

export interface GenerateResult {
  readonly rows: readonly GeneratedText[];
  readonly promptTokens: number;
  readonly completionTokens: number;
}

const sum = (rows: readonly (readonly number[])[]) => rows.reduce((total, row) => total + row.length, 0);

/** Names a text in errors the way the request addressed it. */
const textSubject = (index: number) => `element ${index} of 'text_input'`;

/** What to continue: a text as it is, or a chat, rendered by the model's chat template (see chat.ts). */
export type GenerationPrompt = string | { readonly chat: readonly ChatMessage[] };

/** Names a prompt in errors the way the request addressed it: `text_input` texts, `messages` chats. */
const promptSubject = (prompt: GenerationPrompt, index: number) =>
  typeof prompt === 'string' ? textSubject(index) : `element ${index} of 'messages'`;

export class LoadedModel {
  constructor(private readonly parts: LoadedModelParts) {}

  get task(): ModelTask {
    return this.parts.engine.task;
  }

  get engine(): TaskEngine {
    return this.parts.engine;
  }

  get execution(): ExecutionInfo {
    return this.parts.execution;
  }

  /** Token ids and vocabulary entries of one text, special tokens included (what the model would see). */
  tokenize(text: string): { ids: number[]; tokens: string[] } {
    const ids = this.parts.tokenizer.encode(text);
    return { ids, tokens: this.parts.tokenizer.tokens(ids) };
  }

  /** Token ids and vocabulary entries of the prompt a chat renders to (what `generate` would feed). */
  tokenizeChat(chat: readonly ChatMessage[]): { ids: number[]; tokens: string[] } {
    const { ids } = this.parts.tokenizer.renderChat(chat, promptSubject({ chat }, 0));
    return { ids, tokens: this.parts.tokenizer.tokens(ids) };
  }

  /**
   * Generates a continuation of every prompt. With `onText` (one prompt only), new text is handed over as it
   * becomes final, for streaming.
   */
  async generate(
    prompts: readonly GenerationPrompt[],
    params: GenerateParams,
    signal?: AbortSignal,
    onText?: (delta: string) => void,
  ): Promise<GenerateResult> {
    const engine = this.parts.engine;
    if (engine.task !== 'generate') throw new Error(`generate called on a ${engine.task} model`);
    const subjects = prompts.map(promptSubject);
    const encoded = prompts.map((prompt, row) => {
      const ids =
        typeof prompt === 'string'
          ? this.parts.tokenizer.encode(prompt)
          : this.parts.tokenizer.renderChat(prompt.chat, subjects[row]!).ids;
      // A decoder needs at least one token to continue from.
      if (ids.length === 0) throw new InvalidTensorError(`${subjects[row]} encodes to no tokens`);
      return ids;
    });
    const seed = params.seed ?? randomSeed();
    // Plan every row before running any, so a too-long prompt anywhere fails the request up front.
    const plans = encoded.map((ids, row) =>
      planGeneration({
        params: { ...params, seed: rowSeed(seed, row) },
        generationConfig: engine.generationConfig,
        defaultMaxTokens: this.parts.defaultMaxTokens,
        contextWindow: this.parts.contextWindow,
        promptTokens: ids.length,
        fallbackSeed: seed,
        subject: subjects[row]!,
      }),
    );
    // One failing row (cancelled, engine error) stops its siblings instead of letting them run for nobody.
    const siblings = new AbortController();
    const onAbort = () => siblings.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let rows: GeneratedText[];
    try {
      const pending = engine.scheduler.submit(
        encoded.map((promptIds, row) => ({
          promptIds,
          plan: plans[row]!,
          signal: siblings.signal,
          ...(onText && prompts.length === 1 ? { onText } : {}),
        })),
      );
      rows = await Promise.all(
        pending.map((p) =>
          p.catch((error: unknown) => {
            siblings.abort();
            throw error;
          }),
        ),
      );
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    return {
      rows,
      promptTokens: sum(encoded),
      completionTokens: rows.reduce((t, r) => t + r.completionTokens, 0),
    };
  }

  /**
   * Class scores per text (softmax probabilities, or one sigmoid per label for multi-label models); the texts
   * join the model's dynamic batches. Texts longer than the model's window are truncated, or refused when
   * `truncate` is false.
   */
  async classify(
    texts: readonly string[],
    signal?: AbortSignal,
    truncate = true,
  ): Promise<{ probs: number[][]; promptTokens: number }> {
    const engine = this.parts.engine;
    if (engine.task !== 'classify') throw new Error(`classify called on a ${engine.task} model`);
    const encoded = this.encodeForEncoder(texts, engine.window, truncate);
    return { probs: await engine.batcher.submit(encoded, signal), promptTokens: sum(encoded) };
  }

  /**
   * One embedding per text; the texts join the model's dynamic batches, then are normalised per request
   * (`normalize` undefined: as the model's files say). Texts longer than the model's window are truncated, or
   * refused when `truncate` is false.
   */
  async embed(
    texts: readonly string[],
    normalize: boolean | undefined,
    signal?: AbortSignal,
    truncate = true,
  ): Promise<{ embeddings: number[][]; promptTokens: number }> {
    const engine = this.parts.engine;
    if (engine.task !== 'embed') throw new Error(`embed called on a ${engine.task} model`);
    const encoded = this.encodeForEncoder(texts, engine.window, truncate);
    const pooled = await engine.batcher.submit(encoded, signal);
    const unit = normalize ?? engine.normalize;
    return { embeddings: unit ? pooled.map(l2Normalize) : pooled, promptTokens: sum(encoded) };
  }

  /** Frees the onnxruntime session; callers make sure no request still uses it. */
  async release(): Promise<void> {
    await this.parts.session.release();
  }

  private encodeForEncoder(
    texts: readonly string[],
    window: number | undefined,
    truncate: boolean,
  ): number[][] {
    const tokenizer = this.parts.tokenizer;
    return texts.map((text, index) => {
      if (window !== undefined && truncate) return tokenizer.encodeTruncated(text, window);
      const ids = tokenizer.encode(text);
      if (window !== undefined && ids.length > window) {
        throw new ContextWindowExceededError(
          ids.length,
          window,
          textSubject(index),
          "; parameter 'truncate' is false, so it is refused instead of truncated",
        );
      }
      return ids;
    });
  }
}
