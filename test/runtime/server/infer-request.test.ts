import { expect } from 'chai';
import { InvalidTensorError } from '../../../runtime/src/errors.js';
import { bytesTensor, fp32Tensor } from '../../../runtime/src/protocol/tensors.js';
import type { ModelInferRequest } from '../../../runtime/src/protocol/types.js';
import { readInput, readTexts } from '../../../runtime/src/server/infer-request.js';

const raw = (texts: (string | Uint8Array)[], shape = [texts.length]): ModelInferRequest => {
  const { tensor, raw: bytes } = bytesTensor('text_input', shape, texts);
  return { model_name: 'm', inputs: [tensor], raw_input_contents: [bytes] };
};

const typed = (texts: string[]): ModelInferRequest => ({
  model_name: 'm',
  inputs: [
    {
      name: 'text_input',
      datatype: 'BYTES',
      shape: [String(texts.length)],
      contents: { bytes_contents: texts.map((t) => Buffer.from(t)) },
    },
  ],
  raw_input_contents: [],
});

describe('readTexts', () => {
  it('given raw contents, returns the texts', () => {
    expect(readTexts(raw(['héllo', 'world']))).to.deep.equal(['héllo', 'world']);
  });

  it('given typed bytes_contents, returns the texts', () => {
    expect(readTexts(typed(['a', 'b', 'c']))).to.deep.equal(['a', 'b', 'c']);
  });

  const both = typed(['a']);
  both.raw_input_contents = [bytesTensor('text_input', [1], ['a']).raw];
  const fp32 = fp32Tensor('text_input', [1], [1]);

  const invalid: [string, ModelInferRequest, string][] = [
    [
      'no inputs',
      { model_name: 'm', inputs: [] },
      "the request has no inputs; expected one BYTES input 'text_input' of shape [B]",
    ],
    [
      'another input name',
      { model_name: 'm', inputs: [{ ...raw(['a']).inputs[0]!, name: 'prompt' }] },
      "unexpected input 'prompt'; expected one BYTES input 'text_input' of shape [B]",
    ],
    [
      'the input twice',
      { model_name: 'm', inputs: [...typed(['a']).inputs, ...typed(['b']).inputs] },
      "input 'text_input' appears 2 times",
    ],
    [
      'both contents and raw contents',
      both,
      "input 'text_input' has both contents and raw_input_contents; send one of them",
    ],
    [
      'a wrong datatype',
      { model_name: 'm', inputs: [fp32.tensor], raw_input_contents: [fp32.raw] },
      "input 'text_input' must have datatype BYTES, got 'FP32'",
    ],
    [
      'a 2-D shape',
      raw(['a', 'b'], [1, 2]),
      "input 'text_input' must have shape [B] (one dimension), got [1,2]",
    ],
    [
      'a shape larger than the contents',
      raw(['a', 'b'], [3]),
      "tensor 'text_input' has shape [3] (3 elements) but its contents hold 2 elements",
    ],
    ['a batch of zero', raw([], [0]), "input 'text_input' must hold at least one text"],
    ['an empty text', raw(['ok', '']), "element 1 of 'text_input' is empty"],
    [
      'bytes that are not UTF-8',
      raw([Buffer.from([0xff, 0xfe])]),
      "element 0 of 'text_input' is not valid UTF-8",
    ],
  ];
  for (const [given, request, message] of invalid) {
    it(`given ${given}, throws "${message}"`, () => {
      expect(() => readTexts(request)).to.throw(InvalidTensorError, message);
    });
  }
});

describe('readInput', () => {
  const chat = [{ role: 'user', content: 'Hi!' }];
  const messages = (values: string[]): ModelInferRequest => {
    const { tensor, raw: bytes } = bytesTensor('messages', [values.length], values);
    return { model_name: 'm', inputs: [tensor], raw_input_contents: [bytes] };
  };

  it('given text_input, returns the texts', () => {
    expect(readInput(raw(['a', 'b']))).to.deep.equal({ kind: 'text', texts: ['a', 'b'] });
  });

  it('given messages, returns the chats', () => {
    expect(readInput(messages([JSON.stringify(chat), JSON.stringify(chat)]))).to.deep.equal({
      kind: 'chat',
      chats: [chat, chat],
    });
  });

  const invalid: [string, ModelInferRequest, string][] = [
    [
      'another input name',
      { model_name: 'm', inputs: [{ ...raw(['a']).inputs[0]!, name: 'prompt' }] },
      "unexpected input 'prompt'; expected one BYTES input 'text_input' or 'messages' of shape [B]",
    ],
    [
      'both inputs',
      {
        model_name: 'm',
        inputs: [...typed(['a']).inputs, { ...typed(['a']).inputs[0]!, name: 'messages' }],
      },
      "the request has inputs 'text_input' and 'messages'; send one of them",
    ],
    ['an empty chat element', messages(['']), "element 0 of 'messages' is empty"],
    ['a chat that is not JSON', messages(['[']), "element 0 of 'messages': not valid JSON"],
    [
      'a second chat with a bad role',
      messages([JSON.stringify(chat), '[{"role":"bot","content":"x"}]']),
      "element 1 of 'messages': messages[0].role must be one of",
    ],
  ];
  for (const [name, request, message] of invalid) {
    it(`given ${name}, throws InvalidTensorError: ${message}`, () => {
      expect(() => readInput(request)).to.throw(InvalidTensorError, message);
    });
  }
});
