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
import type { Encoder } from './encoder.js';
import { type GenerateParams, planGeneration } from './generation-plan.js';
import type { GeneratedText, Generator } from './generator.js';
import type { GenerationConfig } from './model-files.js';
import { randomSeed, rowSeed } from './prng.js';
import type { TextTokenizer } from './tokenizer.js';

/** The task-specific engine of a model. */
export type TaskEngine =
  | {
      readonly task: 'generate';
      readonly generator: Generator;
      readonly generationConfig: GenerationConfig | undefined;
    }
  | { readonly task: 'classify'; readonly encoder: Encoder; readonly labels: readonly string[] }
  | { readonly task: 'embed'; readonly encoder: Encoder; readonly dim: number };

export interface LoadedModelParts {
  readonly session: ort.InferenceSession;
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

export class LoadedModel {
  constructor(private readonly parts: LoadedModelParts) {}

  get task(): ModelTask {
    return this.parts.engine.task;
  }

  get engine(): TaskEngine {
    return this.parts.engine;
  }

  /** Token ids and vocabulary entries of one text, special tokens included (what the model would see). */
  tokenize(text: string): { ids: number[]; tokens: string[] } {
    const ids = this.parts.tokenizer.encode(text);
    return { ids, tokens: this.parts.tokenizer.tokens(ids) };
  }

  async generate(
    prompts: readonly string[],
    params: GenerateParams,
    signal?: AbortSignal,
  ): Promise<GenerateResult> {
    const engine = this.parts.engine;
    if (engine.task !== 'generate') throw new Error(`generate called on a ${engine.task} model`);
    const encoded = prompts.map((prompt, row) => {
      const ids = this.parts.tokenizer.encode(prompt);
      // A decoder needs at least one token to continue from.
      if (ids.length === 0) throw new InvalidTensorError(`${textSubject(row)} encodes to no tokens`);
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
        subject: textSubject(row),
      }),
    );
    const rows: GeneratedText[] = [];
    for (const [row, ids] of encoded.entries()) {
      rows.push(await engine.generator.generate(ids, plans[row]!, signal));
    }
    return {
      rows,
      promptTokens: sum(encoded),
      completionTokens: rows.reduce((t, r) => t + r.completionTokens, 0),
    };
  }

  async classify(texts: readonly string[]): Promise<{ probs: number[][]; promptTokens: number }> {
    const engine = this.parts.engine;
    if (engine.task !== 'classify') throw new Error(`classify called on a ${engine.task} model`);
    const encoded = this.encodeForEncoder(texts);
    return { probs: await engine.encoder.classify(encoded), promptTokens: sum(encoded) };
  }

  async embed(
    texts: readonly string[],
    normalize: boolean,
  ): Promise<{ embeddings: number[][]; promptTokens: number }> {
    const engine = this.parts.engine;
    if (engine.task !== 'embed') throw new Error(`embed called on a ${engine.task} model`);
    const encoded = this.encodeForEncoder(texts);
    return { embeddings: await engine.encoder.embed(encoded, normalize), promptTokens: sum(encoded) };
  }

  /** Frees the onnxruntime session; callers make sure no request still uses it. */
  async release(): Promise<void> {
    await this.parts.session.release();
  }

  private encodeForEncoder(texts: readonly string[]): number[][] {
    const window = this.parts.contextWindow;
    return texts.map((text, index) => {
      const ids = this.parts.tokenizer.encode(text);
      if (window !== undefined && ids.length > window) {
        throw new ContextWindowExceededError(ids.length, window, textSubject(index));
      }
      return ids;
    });
  }
}
