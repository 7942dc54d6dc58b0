import { expect } from 'chai';
import { InvalidParameterError, UnsupportedTaskError } from '../../../runtime/src/errors.js';
import { param } from '../../../runtime/src/protocol/parameters.js';
import type { InferParameters } from '../../../runtime/src/protocol/types.js';
import {
  parseClassifyParams,
  parseEmbedParams,
  parseGenerateParams,
  parseTask,
} from '../../../runtime/src/server/params.js';

describe('ModelInfer parameters', () => {
  describe('task', () => {
    const cases: [string, InferParameters | undefined, string][] = [
      ['no task', undefined, 'generate'],
      ['the model task', { task: param.string('generate') }, 'generate'],
      ['tokenize', { task: param.string('tokenize') }, 'tokenize'],
    ];
    for (const [given, params, expected] of cases) {
      it(`given ${given} on a generate model, runs ${expected}`, () => {
        expect(parseTask(params, 'generate', 'story-writer')).to.equal(expected);
      });
    }
    const errors: [string, InferParameters, string][] = [
      [
        'another model task',
        { task: param.string('classify') },
        "model 'story-writer' cannot classify; it supports generate and tokenize",
      ],
      [
        'an unknown task',
        { task: param.string('draw') },
        "unknown task 'draw'; tasks are generate, classify, embed, tokenize",
      ],
    ];
    for (const [given, params, message] of errors) {
      it(`given ${given}, throws UnsupportedTaskError "${message}"`, () => {
        expect(() => parseTask(params, 'generate', 'story-writer')).to.throw(UnsupportedTaskError, message);
      });
    }
    it('given a task that is not a string, throws InvalidParameterError', () => {
      expect(() => parseTask({ task: param.int64(1) }, 'generate', 'm')).to.throw(
        InvalidParameterError,
        "parameter 'task' must be a string",
      );
    });
  });

  describe('generation', () => {
    it('given every knob, reads each with its type', () => {
      expect(
        parseGenerateParams({
          max_tokens: param.int64(16),
          temperature: param.double(0.7),
          top_p: param.double(0.9),
          top_k: param.int64(40),
          seed: param.int64(2n ** 63n - 1n),
          stop: param.string('["\\n", "THE END"]'),
          n: param.int64(3),
          logprobs: param.bool(true),
          top_logprobs: param.int64(20),
          logit_bias: param.string('{"0": -100, "50256": 2.5}'),
          presence_penalty: param.double(-2),
          frequency_penalty: param.int64(2),
          repetition_penalty: param.double(1.2),
          content_type: param.string('str'),
        }),
      ).to.deep.equal({
        maxTokens: 16,
        temperature: 0.7,
        topP: 0.9,
        topK: 40,
        seed: 2n ** 63n - 1n,
        stop: ['\n', 'THE END'],
        n: 3,
        logprobs: true,
        topLogprobs: 20,
        logitBias: new Map([
          [0, -100],
          [50256, 2.5],
        ]),
        presencePenalty: -2,
        frequencyPenalty: 2,
        repetitionPenalty: 1.2,
      });
    });

    it('given an integer temperature, widens it', () => {
      expect(parseGenerateParams({ temperature: param.int64(1) }).temperature).to.equal(1);
    });

    const errors: [string, InferParameters, string][] = [
      [
        'max_tokens 0',
        { max_tokens: param.int64(0) },
        "parameter 'max_tokens' must be an integer from 1 to 1000000, got 0",
      ],
      [
        'max_tokens as a double',
        { max_tokens: param.double(5) },
        "parameter 'max_tokens' must be an integer (int64_param), got double_param 5",
      ],
      [
        'a negative temperature',
        { temperature: param.double(-0.1) },
        "parameter 'temperature' must be 0 (greedy) or more, got -0.1",
      ],
      ['top_p 0', { top_p: param.double(0) }, "parameter 'top_p' must be in (0, 1], got 0"],
      ['top_p 1.5', { top_p: param.double(1.5) }, "parameter 'top_p' must be in (0, 1], got 1.5"],
      [
        'top_k -1',
        { top_k: param.int64(-1) },
        "parameter 'top_k' must be an integer from 0 to 9007199254740991, got -1",
      ],
      [
        'seed as a string',
        { seed: param.string('7') },
        'parameter \'seed\' must be an integer (int64_param), got string_param "7"',
      ],
      [
        'stop that is not JSON',
        { stop: param.string('\\n') },
        "parameter 'stop' must hold a JSON array of strings",
      ],
      [
        'stop that is a JSON string',
        { stop: param.string('"x"') },
        'parameter \'stop\' must hold a JSON array of strings, got "x"',
      ],
      [
        'stop with a number',
        { stop: param.string('["a", 1]') },
        "parameter 'stop' must hold a JSON array of strings",
      ],
      [
        'stop with an empty string',
        { stop: param.string('[""]') },
        "parameter 'stop' must not contain an empty string",
      ],
      ['n 0', { n: param.int64(0) }, "parameter 'n' must be an integer from 1 to 8, got 0"],
      ['n 9', { n: param.int64(9) }, "parameter 'n' must be an integer from 1 to 8, got 9"],
      [
        'top_logprobs 21',
        { logprobs: param.bool(true), top_logprobs: param.int64(21) },
        "parameter 'top_logprobs' must be an integer from 0 to 20, got 21",
      ],
      [
        'top_logprobs without logprobs',
        { top_logprobs: param.int64(2) },
        "parameter 'top_logprobs' needs parameter logprobs set to true",
      ],
      [
        'logit_bias that is not JSON',
        { logit_bias: param.string('{5: 1}') },
        "parameter 'logit_bias' must hold a JSON object of token id -> bias from -100 to 100",
      ],
      [
        'logit_bias with a key that is not an id',
        { logit_bias: param.string('{"cat": 1}') },
        'key "cat" is not a token id',
      ],
      [
        'logit_bias with a negative id',
        { logit_bias: param.string('{"-1": 1}') },
        'key "-1" is not a token id',
      ],
      ['logit_bias beyond 100', { logit_bias: param.string('{"5": 101}') }, 'the bias of 5 is 101'],
      [
        'logit_bias as an array',
        { logit_bias: param.string('[1]') },
        "parameter 'logit_bias' must hold a JSON object",
      ],
      [
        'presence_penalty 2.5',
        { presence_penalty: param.double(2.5) },
        "parameter 'presence_penalty' must be from -2 to 2, got 2.5",
      ],
      [
        'frequency_penalty -3',
        { frequency_penalty: param.double(-3) },
        "parameter 'frequency_penalty' must be from -2 to 2, got -3",
      ],
      [
        'repetition_penalty 0',
        { repetition_penalty: param.double(0) },
        "parameter 'repetition_penalty' must be above 0 (1 is off), got 0",
      ],
    ];
    for (const [given, params, message] of errors) {
      it(`given ${given}, throws "${message}"`, () => {
        expect(() => parseGenerateParams(params)).to.throw(InvalidParameterError, message);
      });
    }
  });

  describe('classification and embeddings', () => {
    it('given top_k within the labels, returns it; without, returns nothing', () => {
      expect(parseClassifyParams({ top_k: param.int64(2) }, 2)).to.deep.equal({ topK: 2, truncate: true });
      expect(parseClassifyParams(undefined, 2)).to.deep.equal({ truncate: true });
      expect(parseClassifyParams({ truncate: param.bool(false) }, 2)).to.deep.equal({ truncate: false });
    });
    it('given top_k beyond the labels, throws', () => {
      expect(() => parseClassifyParams({ top_k: param.int64(3) }, 2)).to.throw(
        InvalidParameterError,
        "parameter 'top_k' must be an integer from 1 to 2, got 3",
      );
    });
    // normalize undefined: the model's default (its sentence-transformers files) decides.
    const embed: [InferParameters | undefined, boolean | undefined, boolean][] = [
      [undefined, undefined, true],
      [{ normalize: param.bool(false) }, false, true],
      [{ normalize: param.bool(true) }, true, true],
      [{ truncate: param.bool(false) }, undefined, false],
      [{ normalize: param.bool(true), truncate: param.bool(true) }, true, true],
    ];
    for (const [params, normalize, truncate] of embed) {
      it(`given ${JSON.stringify(params)}, normalize is ${normalize} and truncate ${truncate}`, () => {
        expect(parseEmbedParams(params)).to.deep.equal({ normalize, truncate });
      });
    }
    it('given truncate as an integer, throws naming it', () => {
      expect(() => parseClassifyParams({ truncate: param.int64(0) }, 2)).to.throw(
        InvalidParameterError,
        "parameter 'truncate' must be a boolean (bool_param)",
      );
    });
    it('given normalize as a string, throws', () => {
      expect(() => parseEmbedParams({ normalize: param.string('no') })).to.throw(
        InvalidParameterError,
        'parameter \'normalize\' must be a boolean (bool_param), got string_param "no"',
      );
    });
  });
});
