import { expect } from 'chai';
import {
  decodeClassify,
  decodeEmbed,
  decodeGenerate,
  decodeTokenize,
} from '../../../runtime/src/client/results.js';
import { RuntimeCallError } from '../../../runtime/src/errors.js';
import { param } from '../../../runtime/src/protocol/parameters.js';
import {
  bytesTensor,
  type EncodedTensor,
  fp32Tensor,
  int64Tensor,
} from '../../../runtime/src/protocol/tensors.js';
import type { InferParameters, ModelInferResponse } from '../../../runtime/src/protocol/types.js';

const response = (tensors: EncodedTensor[], parameters: InferParameters = {}): ModelInferResponse => ({
  model_name: 'm',
  model_version: 'v1',
  id: '',
  parameters,
  outputs: tensors.map((t) => t.tensor),
  raw_output_contents: tensors.map((t) => t.raw),
});

describe('client result decoding', () => {
  it('given a generate response, returns text, finish reason and counts', () => {
    const r = response(
      [bytesTensor('text_output', [1], ['Once']), bytesTensor('finish_reason', [1], ['length'])],
      {
        prompt_tokens: param.int64(3),
        completion_tokens: param.int64(4),
      },
    );
    expect(decodeGenerate(r)).to.deep.equal({
      text: 'Once',
      finishReason: 'length',
      choices: [{ text: 'Once', finishReason: 'length' }],
      promptTokens: 3,
      completionTokens: 4,
    });
  });

  it('given two choices with logprobs, returns each choice with its tokens', () => {
    const token = { id: 7, token: ' a', logprob: -0.25, top: [{ id: 7, token: ' a', logprob: -0.25 }] };
    const r = response([
      bytesTensor('text_output', [2], [' a', '']),
      bytesTensor('finish_reason', [2], ['length', 'stop']),
      bytesTensor('logprobs', [2], [JSON.stringify([token]), '[]']),
    ]);
    expect(decodeGenerate(r).choices).to.deep.equal([
      { text: ' a', finishReason: 'length', logprobs: [token] },
      { text: '', finishReason: 'stop', logprobs: [] },
    ]);
  });

  it('given typed contents instead of raw ones (as KServe servers send), decodes them too', () => {
    const r: ModelInferResponse = {
      ...response([]),
      outputs: [
        {
          name: 'text_output',
          datatype: 'BYTES',
          shape: ['1'],
          contents: { bytes_contents: [Buffer.from('x')] },
        },
        {
          name: 'finish_reason',
          datatype: 'BYTES',
          shape: ['1'],
          contents: { bytes_contents: [Buffer.from('stop')] },
        },
      ],
      raw_output_contents: [],
    };
    expect(decodeGenerate(r)).to.include({ text: 'x', finishReason: 'stop', promptTokens: 0 });
  });

  const classify = response(
    [
      bytesTensor('label', [2], ['POSITIVE', 'NEGATIVE']),
      fp32Tensor('score', [2], [0.75, 0.5]),
      fp32Tensor('scores', [2, 3], [0.25, 0.75, 0, 0.5, 0.25, 0.25]),
    ],
    { labels: param.string('["NEGATIVE","POSITIVE","NEUTRAL"]'), prompt_tokens: param.int64(8) },
  );

  it('given a classify response, maps scores to label names in label order', () => {
    expect(decodeClassify(classify)).to.deep.equal({
      results: [
        { label: 'POSITIVE', score: 0.75, scores: { NEGATIVE: 0.25, POSITIVE: 0.75, NEUTRAL: 0 } },
        { label: 'NEGATIVE', score: 0.5, scores: { NEGATIVE: 0.5, POSITIVE: 0.25, NEUTRAL: 0.25 } },
      ],
      promptTokens: 8,
    });
  });

  it('given top-k, keeps the k most likely labels, most likely first', () => {
    const [first] = decodeClassify(classify, 2).results;
    expect(Object.entries(first!.scores)).to.deep.equal([
      ['POSITIVE', 0.75],
      ['NEGATIVE', 0.25],
    ]);
  });

  it('given embed and tokenize responses, returns rows and ids', () => {
    expect(
      decodeEmbed(
        response([fp32Tensor('embedding', [2, 2], [1, 0, 0, 1])], { prompt_tokens: param.int64(4) }),
      ),
    ).to.deep.equal({
      embeddings: [
        [1, 0],
        [0, 1],
      ],
      promptTokens: 4,
    });
    expect(
      decodeTokenize(
        response([int64Tensor('token_ids', [2], [5, 9]), bytesTensor('tokens', [2], ['a', 'b'])]),
      ),
    ).to.deep.equal({
      tokens: ['a', 'b'],
      ids: [5, 9],
    });
  });

  const malformed: [string, ModelInferResponse, string][] = [
    ['a missing output', response([bytesTensor('text_output', [1], ['x'])]), "no output 'finish_reason'"],
    [
      'an output of the wrong datatype',
      response([fp32Tensor('text_output', [1], [1]), bytesTensor('finish_reason', [1], ['stop'])]),
      "output 'text_output' is FP32, expected BYTES",
    ],
    [
      'an unknown finish reason',
      response([bytesTensor('text_output', [1], ['x']), bytesTensor('finish_reason', [1], ['eos'])]),
      'unexpected finish_reason "eos"',
    ],
    [
      'logprobs that are not JSON',
      response([
        bytesTensor('text_output', [1], ['x']),
        bytesTensor('finish_reason', [1], ['stop']),
        bytesTensor('logprobs', [1], ['{']),
      ]),
      'logprobs is not JSON',
    ],
    [
      'logprobs without alternatives',
      response([
        bytesTensor('text_output', [1], ['x']),
        bytesTensor('finish_reason', [1], ['stop']),
        bytesTensor('logprobs', [1], ['[{"id": 1, "token": "x", "logprob": 0}]']),
      ]),
      'logprobs is not an array of {id, token, logprob, top}',
    ],
    [
      'fewer finish reasons than texts',
      response([bytesTensor('text_output', [2], ['x', 'y']), bytesTensor('finish_reason', [1], ['stop'])]),
      '2 texts for 1 finish reasons',
    ],
  ];
  for (const [given, r, message] of malformed) {
    it(`given ${given}, throws a non-retryable UNKNOWN RuntimeCallError`, () => {
      try {
        decodeGenerate(r);
        expect.fail('should throw');
      } catch (error) {
        expect(error).to.be.instanceOf(RuntimeCallError);
        expect(error).to.include({ code: 'UNKNOWN', retryable: false });
        expect((error as Error).message).to.include(message);
      }
    });
  }
});
