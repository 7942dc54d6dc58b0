/**
 * A loaded model: its task, tokenizer and session, and the task operations the server calls.
 *
 * Texts are tokenized and checked against the context window here, before any session run, so a request
 * that cannot fit fails as INVALID_ARGUMENT and never reaches onnxruntime.
 * @module
 */
import type * as ort from 'onnxruntime-node';
import type { ModelTask } from '../config.js';
import { ContextWindowExceededError, InvalidParameterError, InvalidTensorError } from '../errors.js';
import type { RowBatcher } from './batcher.js';
import type { ChatMessage } from './chat.js';
import type { DecodeScheduler, GeneratedSequence, GeneratedToken } from './decode-scheduler.js';
import { type GenerateParams, planGeneration } from './generation-plan.js';
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
  /** `choices` rows per prompt, prompt by prompt: row `p * choices + c` is choice `c` of prompt `p`. */
  readonly rows: readonly GeneratedSequence[];
  readonly choices: number;
  /** Each prompt counted once, however many choices it has. */
  readonly promptTokens: number;
  /** Over every choice. */
  readonly completionTokens: number;
  /**
   * Whether any row sampled (the request's temperature, or generation_config.json's `do_sample` when the
   * request set none): its text is not the one answer to the prompt. Absent means greedy.
   */
  readonly sampled?: boolean;
}

/** A piece of streamed text of one choice, with its tokens' log-probabilities when asked for. */
export interface GenerateDelta {
  readonly choice: number;
  readonly text: string;
  readonly logprobs?: readonly GeneratedToken[];
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
   * Generates `params.n` (default 1) continuations of every prompt. With `onDelta` (one prompt only), new
   * text of each choice is handed over as it becomes final, for streaming.
   * @throws {InvalidParameterError} for a `logit_bias` key that is not a token id of the vocabulary.
   */
  async generate(
    prompts: readonly GenerationPrompt[],
    params: GenerateParams,
    signal?: AbortSignal,
    onDelta?: (delta: GenerateDelta) => void,
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
    this.checkLogitBias(params.logitBias);
    const seed = params.seed ?? randomSeed();
    const n = params.n ?? 1;
    // Choice c of prompt p is sequence p * n + c, seeded rowSeed(seed, p * n + c): with n = 1 prompts keep
    // their seeds, and choice 0 of prompt 0 always has the request's own.
    const sequences = encoded.flatMap((ids, prompt) =>
      Array.from({ length: n }, (_, choice) => ({ ids, prompt, choice, row: prompt * n + choice })),
    );
    // Plan every row before running any, so a too-long prompt anywhere fails the request up front.
    const plans = sequences.map(({ ids, prompt, row }) =>
      planGeneration({
        params: { ...params, seed: rowSeed(seed, row) },
        generationConfig: engine.generationConfig,
        defaultMaxTokens: this.parts.defaultMaxTokens,
        contextWindow: this.parts.contextWindow,
        promptTokens: ids.length,
        fallbackSeed: seed,
        subject: subjects[prompt]!,
      }),
    );
    // One failing row (cancelled, engine error) stops its siblings instead of letting them run for nobody.
    const siblings = new AbortController();
    const onAbort = () => siblings.abort();
    signal?.addEventListener('abort', onAbort, { once: true });
    let rows: GeneratedSequence[];
    try {
      const pending = engine.scheduler.submit(
        sequences.map(({ ids, choice, row }) => ({
          // The same array for every choice of a prompt: the scheduler prefills it once.
          promptIds: ids,
          plan: plans[row]!,
          signal: siblings.signal,
          ...(onDelta && prompts.length === 1
            ? {
                onText: (text: string, logprobs?: readonly GeneratedToken[]) =>
                  onDelta({ choice, text, ...(logprobs ? { logprobs } : {}) }),
              }
            : {}),
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
      choices: n,
      promptTokens: sum(encoded),
      completionTokens: rows.reduce((t, r) => t + r.completionTokens, 0),
      sampled: plans.some((plan) => plan.sampling !== undefined),
    };
  }

  /** Refuses bias on ids the tokenizer does not know (they could never be generated). */
  private checkLogitBias(bias: ReadonlyMap<number, number> | undefined): void {
    if (!bias || bias.size === 0) return;
    const ids = [...bias.keys()];
    const tokens = this.parts.tokenizer.tokens(ids);
    const unknown = ids.filter((_, i) => !tokens[i]);
    if (unknown.length > 0) {
      throw new InvalidParameterError(
        'logit_bias',
        `names token ids that are not in the model's vocabulary: ${unknown.slice(0, 5).join(', ')}`,
      );
    }
  }

  /**
   * Class scores per text, as transformers scores them (encoder.ts `scoreFunctionOf`: a sigmoid per label for
   * multi-label and one-logit models, raw values for regression, else softmax probabilities); the texts
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
