/**
 * What each inference request asks of a backend, as data the service can route, cache and meter without
 * knowing the endpoint it came from: generation (chat or completion), classification, embeddings, tokens.
 * Results are normalised, so one cached answer serves the REST API's text and batch requests alike (the
 * OpenAI-compatible API has an operation of its own: ./openai-operation.ts).
 * @module
 */
import type { Capability } from '../../../crds/src/index.js';
import {
  BackendError,
  type CallContext,
  type Classification,
  type ClassifyOptions,
  type EmbedOptions,
  type GeneratedChoice,
  type GenerateParams,
  type GenerationInput,
  type InferenceBackend,
  type RouteTarget,
  type StreamEvent,
} from '../backends/backend.js';
import type { CatalogModel } from '../catalog/catalog.js';

export type OperationName = 'generate' | 'classify' | 'embed' | 'tokens';

export interface Operation<T> {
  readonly name: OperationName;
  /** What the request needs, in capability words (error messages, skipped fallbacks). */
  readonly need: string;
  accepts(model: CatalogModel): boolean;
  /** Whether fallbacks may serve it (token ids only mean something for the model asked for). */
  readonly fallbacks: boolean;
  /** Every request field that changes the output, beyond model and version (the cache key). */
  readonly fields: unknown;
  /** Same input, same output on this model. */
  deterministic(model: CatalogModel): boolean;
  call(backend: InferenceBackend, target: RouteTarget, ctx: CallContext): Promise<T>;
  /**
   * Why this target cannot serve the request, decided before calling it (and before asking whether it is
   * ready): `unsupported` (a parameter it cannot honour; the chain moves on) or `rejected` (a value no
   * target accepts; the request ends with 400).
   */
  refusal?(backend: InferenceBackend, target: RouteTarget): BackendError | undefined;
  tokens(result: T): { readonly input: number; readonly output: number };
  /**
   * Whether the backend said it sampled this result (a runtime sampling by its generation_config.json although
   * the request looked greedy): such a result is not cached unless the caller forces it.
   */
  sampled?(result: T): boolean;
  /** The request's texts, as input guardrails read them (absent: nothing to check). */
  inputs?(): readonly InputText[];
  /** The request field whose input is not text (token ids), which input guardrails cannot read. */
  unreadableInput?(): string | undefined;
  /** Whether the request asks for token log-probabilities (their token texts would bypass redaction). */
  asksLogprobs?(): boolean;
  /** The result with each answer text passed through `fix` (output guardrails); absent: no answer text. */
  rewrite?(result: T, fix: (text: string) => string): T;
}

/**
 * A text of the request. `instructions` marks the application's own (system and developer messages, the
 * Responses API's `instructions`): counted against a token cap, not screened for injection, since they are
 * where an application tells the model what not to follow.
 */
export interface InputText {
  readonly text: string;
  readonly instructions?: boolean;
}

const asInputs = (texts: readonly string[]): InputText[] => texts.map((text) => ({ text }));

export interface GenerationResult {
  /** Choice 0's. */
  readonly text: string;
  readonly finishReason: string;
  /** Every choice with its logprobs, when the backend reports them (runtimes do; the OpenAI API renders them). */
  readonly choices?: readonly GeneratedChoice[];
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Set when the backend sampled (see GenerateOutput.sampled). */
  readonly sampled?: boolean;
}

/** An operation that can also be streamed: events as they come, ending with one `done` that has the usage. */
export interface StreamingOperation<T> extends Operation<T> {
  stream(backend: InferenceBackend, target: RouteTarget, ctx: CallContext): AsyncIterable<StreamEvent>;
}

export type GenerationOperation = StreamingOperation<GenerationResult>;

const has = (model: CatalogModel, ...caps: Capability[]) =>
  caps.some((c) => model.spec.capabilities.includes(c));

export function generation(input: GenerationInput, params: GenerateParams): GenerationOperation {
  return {
    name: 'generate',
    need: 'text-generation',
    accepts: (model) => has(model, 'text-generation', 'chat'),
    fallbacks: true,
    fields: { input, params },
    // Greedy decoding is deterministic; our runtimes decode greedily unless asked to sample.
    deterministic: (model) =>
      params.temperature === 0 ||
      (params.temperature === undefined &&
        params.topP === undefined &&
        params.topK === undefined &&
        model.spec.provider === 'onnx'),
    call: (backend, target, ctx) => backend.generate(target, input, params, ctx),
    stream: (backend, target, ctx) => backend.stream(target, input, params, ctx),
    refusal: (backend) => (backend.forward ? undefined : runtimeRefusal(params)),
    tokens: (r) => ({ input: r.inputTokens, output: r.outputTokens }),
    sampled: (r) => r.sampled === true,
    inputs: () =>
      input.kind === 'chat'
        ? input.messages.map((m) => ({
            text: m.content,
            instructions: m.role === 'system' || m.role === 'developer',
          }))
        : [{ text: input.prompt }],
    asksLogprobs: () => params.logprobs === true || (params.topLogprobs ?? 0) > 0,
    rewrite: (r, fix) => {
      const choices = r.choices?.map((c) => ({ ...c, text: fix(c.text) }));
      return { ...r, text: choices?.[0]?.text ?? fix(r.text), ...(choices ? { choices } : {}) };
    },
  };
}

/** A runtime honours the parameters it knows; the others the request carried are refused, by name. */
function runtimeRefusal(params: GenerateParams): BackendError | undefined {
  const extra = params.extra;
  const name = extra ? Object.keys(extra).find((k) => extra[k] !== undefined) : undefined;
  if (name === undefined) return undefined;
  return new BackendError('unsupported', `Runtime models do not support the parameter parameters.${name}`, {
    param: `parameters.${name}`,
  });
}

export interface ClassifyResult {
  readonly results: readonly Classification[];
  readonly inputTokens: number;
}

export function classification(
  texts: readonly string[],
  options: ClassifyOptions,
): Operation<ClassifyResult> {
  return {
    name: 'classify',
    need: 'text-classification',
    accepts: (model) => has(model, 'text-classification'),
    fallbacks: true,
    fields: { texts, topK: options.topK, truncate: options.truncate },
    deterministic: () => true,
    call: (backend, target, ctx) => backend.classify(target, texts, options, ctx),
    tokens: (r) => ({ input: r.inputTokens, output: 0 }),
    inputs: () => asInputs(texts),
  };
}

export interface EmbedResult {
  readonly embeddings: readonly (readonly number[])[];
  readonly inputTokens: number;
}

export function embedding(texts: readonly string[], options: EmbedOptions): Operation<EmbedResult> {
  return {
    name: 'embed',
    need: 'embedding',
    accepts: (model) => has(model, 'embedding'),
    fallbacks: true,
    fields: { texts, normalize: options.normalize, truncate: options.truncate },
    deterministic: () => true,
    call: (backend, target, ctx) => backend.embed(target, texts, options, ctx),
    tokens: (r) => ({ input: r.inputTokens, output: 0 }),
    inputs: () => asInputs(texts),
  };
}

export interface TokensResult {
  readonly results: readonly { readonly tokens: readonly string[]; readonly ids: readonly number[] }[];
}

export function tokenization(texts: readonly string[]): Operation<TokensResult> {
  return {
    name: 'tokens',
    need: 'tokenization (onnx models only)',
    accepts: (model) => model.spec.provider === 'onnx',
    fallbacks: false,
    fields: { texts },
    deterministic: () => true,
    call: async (backend, target, ctx) => ({
      results: await Promise.all(texts.map((text) => backend.tokenize(target, text, ctx))),
    }),
    // Tokenizing is not inference: it is neither metered nor priced.
    tokens: () => ({ input: 0, output: 0 }),
    inputs: () => asInputs(texts),
  };
}
