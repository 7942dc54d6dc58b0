/**
 * Turns a generation request plus the model's defaults into one concrete plan: greedy or sampled, how many
 * new tokens at most, which seed, which stop strings, what changes the logits (bias, penalties), and whether
 * to report log-probabilities.
 * @module
 */
import { ContextWindowExceededError } from '../errors.js';
import type { GenerationConfig } from './model-files.js';
import { adjustsLogits, type LogitAdjustments, type SamplingOptions } from './sampling.js';

/** What a request may ask of generation; every field optional. */
export interface GenerateParams {
  readonly maxTokens?: number | undefined;
  readonly temperature?: number | undefined;
  readonly topP?: number | undefined;
  readonly topK?: number | undefined;
  readonly seed?: bigint | undefined;
  readonly stop?: readonly string[] | undefined;
  /** Choices per prompt (1..8): each its own sequence, sampled with its own seed. */
  readonly n?: number | undefined;
  /** Report each generated token's log-probability. */
  readonly logprobs?: boolean | undefined;
  /** With `logprobs`: how many most likely alternatives to report per token (0..20). */
  readonly topLogprobs?: number | undefined;
  readonly logitBias?: ReadonlyMap<number, number> | undefined;
  readonly presencePenalty?: number | undefined;
  readonly frequencyPenalty?: number | undefined;
  /** > 0; 1 is off. */
  readonly repetitionPenalty?: number | undefined;
}

/** A resolved plan for one prompt. */
export interface GenerationPlan {
  readonly maxNewTokens: number;
  /** Undefined means greedy decoding. */
  readonly sampling: SamplingOptions | undefined;
  readonly seed: bigint;
  readonly stop: readonly string[];
  /** Bias and penalties; undefined when nothing changes the logits. */
  readonly adjustments: LogitAdjustments | undefined;
  /** How many alternatives to report with each token's log-probability; undefined: no log-probabilities. */
  readonly logprobs: number | undefined;
}

/** Used when neither the request nor the ModelVersion configuration says how many tokens to generate. */
export const DEFAULT_MAX_TOKENS = 64;

/** transformers' GenerationConfig defaults, used when generation_config.json leaves a knob out. */
const HF_DEFAULTS = { temperature: 1, topK: 50, topP: 1, repetitionPenalty: 1 } as const;

export interface PlanInputs {
  readonly params: GenerateParams;
  readonly generationConfig: GenerationConfig | undefined;
  readonly defaultMaxTokens: number | undefined;
  readonly contextWindow: number | undefined;
  readonly promptTokens: number;
  /** The seed to use when the request gives none. */
  readonly fallbackSeed: bigint;
  /** How errors name the prompt, e.g. `element 2 of 'text_input'`. */
  readonly subject?: string;
}

/**
 * Greedy when the temperature is 0, or unset while generation_config.json does not ask for sampling;
 * otherwise sampling, with each knob from the request, else generation_config.json, else transformers' defaults.
 * The repetition penalty comes the same way; presence and frequency penalties and the logit bias from the
 * request only (generation_config.json has no such fields). The token budget is the request's, else the
 * ModelVersion's `defaultMaxTokens`, else generation_config.json's `max_new_tokens`, else 64, capped by the
 * room left in the context window.
 * @throws {ContextWindowExceededError} when the prompt leaves no room for a single new token.
 */
export function planGeneration(inputs: PlanInputs): GenerationPlan {
  const { params, generationConfig: gen, contextWindow, promptTokens } = inputs;
  if (contextWindow !== undefined && promptTokens >= contextWindow) {
    throw new ContextWindowExceededError(
      promptTokens,
      contextWindow,
      inputs.subject ?? 'the prompt',
      ' (a prompt must leave room for at least one new token)',
    );
  }
  const temperature =
    params.temperature ?? (gen?.do_sample ? (gen.temperature ?? HF_DEFAULTS.temperature) : 0);
  const sampling =
    temperature > 0
      ? {
          temperature,
          topK: params.topK ?? gen?.top_k ?? HF_DEFAULTS.topK,
          topP: params.topP ?? gen?.top_p ?? HF_DEFAULTS.topP,
        }
      : undefined;
  const requested = params.maxTokens ?? inputs.defaultMaxTokens ?? gen?.max_new_tokens ?? DEFAULT_MAX_TOKENS;
  const room = contextWindow === undefined ? requested : contextWindow - promptTokens;
  const adjustments = adjustmentsOf(params, gen);
  return {
    maxNewTokens: Math.min(requested, room),
    sampling,
    seed: params.seed ?? inputs.fallbackSeed,
    stop: params.stop ?? [],
    adjustments,
    logprobs: params.logprobs ? (params.topLogprobs ?? 0) : undefined,
  };
}

/** Bias and penalties: the request's, else generation_config.json's repetition penalty; undefined when none. */
function adjustmentsOf(
  params: GenerateParams,
  gen: GenerationConfig | undefined,
): LogitAdjustments | undefined {
  const adjustments: LogitAdjustments = {
    logitBias: params.logitBias ?? new Map(),
    repetitionPenalty: params.repetitionPenalty ?? gen?.repetition_penalty ?? HF_DEFAULTS.repetitionPenalty,
    presencePenalty: params.presencePenalty ?? 0,
    frequencyPenalty: params.frequencyPenalty ?? 0,
  };
  return adjustsLogits(adjustments) ? adjustments : undefined;
}
