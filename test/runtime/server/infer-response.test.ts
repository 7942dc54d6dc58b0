import { expect } from 'chai';
import { InvalidTensorError } from '../../../runtime/src/errors.js';
import { readParameter } from '../../../runtime/src/protocol/parameters.js';
import { readTensor } from '../../../runtime/src/protocol/tensors.js';
import type { ModelInferResponse } from '../../../runtime/src/protocol/types.js';
import {
  buildResponse,
  checkRequestedOutputs,
  classifyOutput,
  embedOutput,
  generateOutput,
  tokenizeOutput,
} from '../../../runtime/src/server/infer-response.js';
import { taskOutputs } from '../../../runtime/src/server/metadata.js';

const served = { name: 'm', version: 'v1' };
const decode = (response: ModelInferResponse) =>
  Object.fromEntries(
    response.outputs.map((o, i) => {
      const t = readTensor(o, response.raw_output_contents[i]);
      const data =
        t.datatype === 'BYTES' ? t.data.map(String) : Array.from(t.data as ArrayLike<number | bigint>);
      return [o.name, { datatype: t.datatype, shape: t.shape, data }];
    }),
  );
const params = (response: ModelInferResponse) =>
  Object.fromEntries(Object.entries(response.parameters).map(([k, v]) => [k, readParameter(v)?.value]));

describe('ModelInfer responses', () => {
  it('given generated rows, returns text_output and finish_reason with batch token totals', () => {
    const output = generateOutput({
      rows: [
        { text: 'a', finishReason: 'stop', completionTokens: 2 },
        { text: 'bc', finishReason: 'length', completionTokens: 4 },
      ],
      choices: 1,
      promptTokens: 7,
      completionTokens: 6,
    });
    const response = buildResponse({ model_name: 'm', inputs: [], id: 'r1' }, served, output);
    expect(response).to.include({ model_name: 'm', model_version: 'v1', id: 'r1' });
    expect(decode(response)).to.deep.equal({
      text_output: { datatype: 'BYTES', shape: [2], data: ['a', 'bc'] },
      finish_reason: { datatype: 'BYTES', shape: [2], data: ['stop', 'length'] },
    });
    expect(params(response)).to.deep.equal({ prompt_tokens: 7n, completion_tokens: 6n, choices: 1n });
  });

  it('given two choices with logprobs, returns a logprobs row of JSON per choice', () => {
    const token = { id: 5, token: 'a', logprob: -0.5, top: [{ id: 5, token: 'a', logprob: -0.5 }] };
    const output = generateOutput({
      rows: [
        { text: 'a', finishReason: 'length', completionTokens: 1, logprobs: [token] },
        { text: '', finishReason: 'stop', completionTokens: 1, logprobs: [] },
      ],
      choices: 2,
      promptTokens: 3,
      completionTokens: 2,
    });
    const response = buildResponse({ model_name: 'm', inputs: [] }, served, output);
    expect(decode(response).logprobs).to.deep.equal({
      datatype: 'BYTES',
      shape: [2],
      data: [JSON.stringify([token]), '[]'],
    });
    expect(params(response)).to.include({ choices: 2n });
  });

  it('given class probabilities, returns the top label, its score, all scores, and the label names', () => {
    const response = buildResponse(
      { model_name: 'm', inputs: [] },
      served,
      classifyOutput(
        [
          [0.25, 0.75],
          [0.5, 0.5],
        ],
        ['NEG', 'POS'],
        9,
      ),
    );
    expect(decode(response)).to.deep.equal({
      label: { datatype: 'BYTES', shape: [2], data: ['POS', 'NEG'] },
      score: { datatype: 'FP32', shape: [2], data: [0.75, 0.5] },
      scores: { datatype: 'FP32', shape: [2, 2], data: [0.25, 0.75, 0.5, 0.5] },
    });
    expect(params(response)).to.deep.equal({ labels: '["NEG","POS"]', prompt_tokens: 9n });
  });

  it('given embeddings, returns one [B, D] FP32 tensor', () => {
    const response = buildResponse(
      { model_name: 'm', inputs: [] },
      served,
      embedOutput(
        [
          [1, 0],
          [0, 1],
          [0.5, 0.5],
        ],
        2,
        3,
      ),
    );
    expect(decode(response).embedding).to.deep.equal({
      datatype: 'FP32',
      shape: [3, 2],
      data: [1, 0, 0, 1, 0.5, 0.5],
    });
  });

  it('given token ids, returns INT64 ids and BYTES tokens, with prompt_tokens = N', () => {
    const response = buildResponse(
      { model_name: 'm', inputs: [] },
      served,
      tokenizeOutput([101, 7, 102], ['[CLS]', 'hi', '[SEP]']),
    );
    expect(decode(response)).to.deep.equal({
      token_ids: { datatype: 'INT64', shape: [3], data: [101n, 7n, 102n] },
      tokens: { datatype: 'BYTES', shape: [3], data: ['[CLS]', 'hi', '[SEP]'] },
    });
    expect(params(response)).to.deep.equal({ prompt_tokens: 3n });
  });

  it('given requested outputs, returns only those', () => {
    const output = classifyOutput([[0.1, 0.9]], ['N', 'P'], 1);
    const response = buildResponse(
      { model_name: 'm', inputs: [], outputs: [{ name: 'label' }] },
      served,
      output,
    );
    expect(response.outputs.map((o) => o.name)).to.deep.equal(['label']);
    expect(response.raw_output_contents).to.have.length(1);
  });

  it('given a requested output the task does not produce, throws', () => {
    const produced = taskOutputs('generate', {}).map((t) => t.name);
    expect(() =>
      checkRequestedOutputs(
        { model_name: 'm', inputs: [], outputs: [{ name: 'embedding' }] },
        produced,
        'generate',
      ),
    ).to.throw(
      InvalidTensorError,
      "requested output 'embedding' is not produced by task generate (it produces text_output, finish_reason, logprobs)",
    );
  });

  const metadata: [
    Parameters<typeof taskOutputs>[0],
    Parameters<typeof taskOutputs>[1],
    [string, string, number[]][],
  ][] = [
    [
      'generate',
      {},
      [
        ['text_output', 'BYTES', [-1]],
        ['finish_reason', 'BYTES', [-1]],
        ['logprobs', 'BYTES', [-1]],
      ],
    ],
    [
      'classify',
      { labels: 2 },
      [
        ['label', 'BYTES', [-1]],
        ['score', 'FP32', [-1]],
        ['scores', 'FP32', [-1, 2]],
      ],
    ],
    ['embed', { dim: 32 }, [['embedding', 'FP32', [-1, 32]]]],
    [
      'tokenize',
      {},
      [
        ['token_ids', 'INT64', [-1]],
        ['tokens', 'BYTES', [-1]],
      ],
    ],
  ];
  for (const [task, shape, expected] of metadata) {
    it(`given task ${task}, metadata lists outputs ${expected.map((e) => e[0]).join(', ')}`, () => {
      expect(taskOutputs(task, shape).map((t) => [t.name, t.datatype, t.shape])).to.deep.equal(expected);
    });
  }
});
