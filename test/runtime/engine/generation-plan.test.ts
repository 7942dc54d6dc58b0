import { expect } from 'chai';
import {
  DEFAULT_MAX_TOKENS,
  type PlanInputs,
  planGeneration,
} from '../../../runtime/src/engine/generation-plan.js';
import { ContextWindowExceededError } from '../../../runtime/src/errors.js';

const base: PlanInputs = {
  params: {},
  generationConfig: undefined,
  defaultMaxTokens: undefined,
  contextWindow: 128,
  promptTokens: 10,
  fallbackSeed: 99n,
};

describe('planGeneration', () => {
  const cases: [string, Partial<PlanInputs>, Partial<ReturnType<typeof planGeneration>>][] = [
    ['nothing set', {}, { sampling: undefined, maxNewTokens: DEFAULT_MAX_TOKENS, seed: 99n, stop: [] }],
    [
      'do_sample false and no temperature',
      { generationConfig: { do_sample: false } },
      { sampling: undefined },
    ],
    [
      'temperature 0 although do_sample is true',
      { params: { temperature: 0 }, generationConfig: { do_sample: true } },
      { sampling: undefined },
    ],
    [
      'do_sample true with generation_config knobs',
      { generationConfig: { do_sample: true, temperature: 0.8, top_k: 20, top_p: 0.9 } },
      { sampling: { temperature: 0.8, topK: 20, topP: 0.9 } },
    ],
    [
      'do_sample true and nothing else (transformers defaults)',
      { generationConfig: { do_sample: true } },
      { sampling: { temperature: 1, topK: 50, topP: 1 } },
    ],
    [
      'a request temperature over do_sample false, request knobs first',
      { params: { temperature: 0.5, topK: 0, topP: 0.95 }, generationConfig: { do_sample: false, top_k: 5 } },
      { sampling: { temperature: 0.5, topK: 0, topP: 0.95 } },
    ],
    ['max_tokens', { params: { maxTokens: 5 } }, { maxNewTokens: 5 }],
    ['defaultMaxTokens from the configuration', { defaultMaxTokens: 12 }, { maxNewTokens: 12 }],
    ['max_tokens beyond the room left in the window', { params: { maxTokens: 500 } }, { maxNewTokens: 118 }],
    ['one free slot in the window', { promptTokens: 127 }, { maxNewTokens: 1 }],
    [
      'no context window in config.json',
      { contextWindow: undefined, params: { maxTokens: 500 } },
      { maxNewTokens: 500 },
    ],
    ['a request seed and stops', { params: { seed: 7n, stop: ['\n'] } }, { seed: 7n, stop: ['\n'] }],
    [
      'max_new_tokens in generation_config.json and nothing else',
      { generationConfig: { max_new_tokens: 20 } },
      { maxNewTokens: 20 },
    ],
    [
      'defaultMaxTokens over generation_config.json max_new_tokens',
      { defaultMaxTokens: 12, generationConfig: { max_new_tokens: 20 } },
      { maxNewTokens: 12 },
    ],
    [
      'max_tokens over both',
      { params: { maxTokens: 3 }, defaultMaxTokens: 12, generationConfig: { max_new_tokens: 20 } },
      { maxNewTokens: 3 },
    ],
    [
      'max_new_tokens beyond the room left in the window',
      { generationConfig: { max_new_tokens: 1000 } },
      { maxNewTokens: 118 },
    ],
    ['no bias, no penalties, no logprobs', {}, { adjustments: undefined, logprobs: undefined }],
    [
      'repetition_penalty from generation_config.json',
      { generationConfig: { repetition_penalty: 1.3 } },
      {
        adjustments: {
          logitBias: new Map(),
          repetitionPenalty: 1.3,
          presencePenalty: 0,
          frequencyPenalty: 0,
        },
      },
    ],
    [
      'a request repetition_penalty over generation_config.json',
      { params: { repetitionPenalty: 1 }, generationConfig: { repetition_penalty: 1.3 } },
      { adjustments: undefined },
    ],
    [
      'presence and frequency penalties and a logit bias',
      { params: { presencePenalty: 0.5, frequencyPenalty: -1, logitBias: new Map([[3, 100]]) } },
      {
        adjustments: {
          logitBias: new Map([[3, 100]]),
          repetitionPenalty: 1,
          presencePenalty: 0.5,
          frequencyPenalty: -1,
        },
      },
    ],
    ['logprobs without top_logprobs', { params: { logprobs: true } }, { logprobs: 0 }],
    ['logprobs with top_logprobs 5', { params: { logprobs: true, topLogprobs: 5 } }, { logprobs: 5 }],
    ['top_logprobs without logprobs', { params: { topLogprobs: 5 } }, { logprobs: undefined }],
  ];
  for (const [given, inputs, expected] of cases) {
    it(`given ${given}, plans ${JSON.stringify(expected, (_, v) => (typeof v === 'bigint' ? `${v}n` : v))}`, () => {
      expect(planGeneration({ ...base, ...inputs })).to.deep.include(expected);
    });
  }

  it('given a prompt that fills the window, throws ContextWindowExceededError naming the prompt', () => {
    expect(() =>
      planGeneration({ ...base, promptTokens: 128, subject: "element 1 of 'text_input'" }),
    ).to.throw(
      ContextWindowExceededError,
      "element 1 of 'text_input' has 128 tokens but the model's context window holds 128 (a prompt must leave room for at least one new token)",
    );
  });
});
