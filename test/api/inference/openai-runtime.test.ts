import { expect } from 'chai';
import { BackendError } from '../../../api/src/backends/backend.js';
import {
  runtimeChat,
  runtimeCompletion,
  runtimeEmbeddings,
  runtimeResponses,
} from '../../../api/src/inference/openai-runtime.js';

const user = [{ role: 'user', content: 'Tom had' }];

function refusal(fn: () => unknown): { kind: string; param?: string } | undefined {
  try {
    fn();
    return undefined;
  } catch (err) {
    if (!(err instanceof BackendError)) throw err;
    return { kind: err.kind, ...(err.param === undefined ? {} : { param: err.param }) };
  }
}

describe('api/inference: OpenAI requests for runtime models (honoured or refused, never ignored)', () => {
  const chat: [string, Record<string, unknown>, { kind: string; param?: string } | undefined][] = [
    ['plain text', {}, undefined],
    ['text parts', { messages: [{ role: 'user', content: [{ type: 'text', text: 'a' }] }] }, undefined],
    [
      'neutral values',
      {
        n: 1,
        logprobs: false,
        logit_bias: {},
        presence_penalty: 0,
        store: false,
        user: 'u',
        metadata: { a: 'b' },
      },
      undefined,
    ],
    ['tools with tool_choice none', { tools: [{ type: 'function' }], tool_choice: 'none' }, undefined],
    ['response_format text', { response_format: { type: 'text' } }, undefined],
    ['tools', { tools: [{ type: 'function' }] }, { kind: 'unsupported', param: 'tools' }],
    ['tool_choice required', { tool_choice: 'required' }, { kind: 'unsupported', param: 'tool_choice' }],
    [
      'json_schema',
      { response_format: { type: 'json_schema' } },
      { kind: 'unsupported', param: 'response_format' },
    ],
    [
      'the sampling parameters a runtime honours in its decode loop',
      {
        n: 8,
        logprobs: true,
        top_logprobs: 20,
        logit_bias: { '50256': -100, '0': 2.5 },
        presence_penalty: -2,
        frequency_penalty: 2,
        repetition_penalty: 1.3,
      },
      undefined,
    ],
    // OpenAI accepts n up to 128: above a runtime's 8 choices another target of the fallback chain may serve it.
    ['n 9', { n: 9 }, { kind: 'unsupported', param: 'n' }],
    ['n 128', { n: 128 }, { kind: 'unsupported', param: 'n' }],
    ['n 129', { n: 129 }, { kind: 'rejected', param: 'n' }],
    ['n 2.5', { n: 2.5 }, { kind: 'rejected', param: 'n' }],
    ['n 0', { n: 0 }, { kind: 'rejected', param: 'n' }],
    ['top_logprobs without logprobs', { top_logprobs: 2 }, { kind: 'rejected', param: 'top_logprobs' }],
    ['top_logprobs 21', { logprobs: true, top_logprobs: 21 }, { kind: 'rejected', param: 'top_logprobs' }],
    ['logprobs 1 (chat takes a boolean)', { logprobs: 1 }, { kind: 'rejected', param: 'logprobs' }],
    ['logit_bias of a word', { logit_bias: { cat: 5 } }, { kind: 'rejected', param: 'logit_bias' }],
    ['logit_bias 101', { logit_bias: { '5': 101 } }, { kind: 'rejected', param: 'logit_bias' }],
    ['logit_bias as an array', { logit_bias: [5] }, { kind: 'rejected', param: 'logit_bias' }],
    ['frequency_penalty 2.5', { frequency_penalty: 2.5 }, { kind: 'rejected', param: 'frequency_penalty' }],
    ['presence_penalty -3', { presence_penalty: -3 }, { kind: 'rejected', param: 'presence_penalty' }],
    ['repetition_penalty 0', { repetition_penalty: 0 }, { kind: 'rejected', param: 'repetition_penalty' }],
    ['store true', { store: true }, { kind: 'unsupported', param: 'store' }],
    ['audio modality', { modalities: ['text', 'audio'] }, { kind: 'unsupported', param: 'modalities' }],
    ['reasoning_effort', { reasoning_effort: 'low' }, { kind: 'unsupported', param: 'reasoning_effort' }],
    [
      'an image part',
      { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] },
      { kind: 'unsupported', param: 'messages[0].content[0]' },
    ],
    // Tool results and tool calls go to the runtime, which renders them with the model's chat template.
    [
      'assistant tool_calls',
      {
        messages: [
          {
            role: 'assistant',
            content: null,
            tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } }],
          },
        ],
      },
      undefined,
    ],
    ['a tool message', { messages: [{ role: 'tool', content: 'x', tool_call_id: 'c1' }] }, undefined],
    [
      'empty tool_calls',
      { messages: [{ role: 'assistant', content: null, tool_calls: [] }] },
      { kind: 'rejected', param: 'messages[0].tool_calls' },
    ],
    [
      'a tool call without an id',
      { messages: [{ role: 'assistant', tool_calls: [{ type: 'function', function: { name: 'f' } }] }] },
      { kind: 'rejected', param: 'messages[0].tool_calls[0]' },
    ],
    [
      'a tool message without tool_call_id',
      { messages: [{ role: 'tool', content: 'x' }] },
      { kind: 'rejected', param: 'messages[0].tool_call_id' },
    ],
    [
      'tool_calls on a user message',
      { messages: [{ role: 'user', content: 'x', tool_calls: [] }] },
      { kind: 'unsupported', param: 'messages[0].tool_calls' },
    ],
    [
      'a function message',
      { messages: [{ role: 'function', name: 'f', content: 'x' }] },
      { kind: 'unsupported', param: 'messages[0].role' },
    ],
    [
      'a message name',
      { messages: [{ role: 'user', content: 'x', name: 'bob' }] },
      { kind: 'unsupported', param: 'messages[0].name' },
    ],
    [
      'an unknown role',
      { messages: [{ role: 'robot', content: 'x' }] },
      { kind: 'rejected', param: 'messages[0].role' },
    ],
    ['no messages', { messages: [] }, { kind: 'rejected', param: 'messages' }],
    [
      'max_completion_tokens 1.5',
      { max_completion_tokens: 1.5 },
      { kind: 'rejected', param: 'max_completion_tokens' },
    ],
    [
      'max_completion_tokens "5"',
      { max_completion_tokens: '5' },
      { kind: 'rejected', param: 'max_completion_tokens' },
    ],
    ['max_tokens [5]', { max_tokens: [5] }, { kind: 'rejected', param: 'max_tokens' }],
    ['temperature 3', { temperature: 3 }, { kind: 'rejected', param: 'temperature' }],
    ['top_p 0', { top_p: 0 }, { kind: 'rejected', param: 'top_p' }],
    ['five stops', { stop: ['a', 'b', 'c', 'd', 'e'] }, { kind: 'rejected', param: 'stop' }],
    ['stream "yes"', { stream: 'yes' }, { kind: 'rejected', param: 'stream' }],
    [
      'an unknown stream option',
      { stream_options: { include_obfuscation: true } },
      { kind: 'unsupported', param: 'stream_options.include_obfuscation' },
    ],
  ];
  for (const [what, extra, expected] of chat) {
    it(`chat: given ${what}, ${expected ? `is ${expected.kind} (${expected.param})` : 'is honoured'}`, () => {
      expect(refusal(() => runtimeChat({ model: 'm', messages: user, ...extra }))).to.deep.equal(expected);
    });
  }

  it('chat: passes tool calls and tool results on as messages (the runtime renders them with the template)', () => {
    const call = {
      id: 'call_1',
      type: 'function',
      function: { name: 'get_weather', arguments: '{"city":"Oslo"}' },
    };
    const { input } = runtimeChat({
      model: 'm',
      messages: [
        ...user,
        { role: 'assistant', content: null, tool_calls: [call] },
        { role: 'tool', tool_call_id: 'call_1', content: [{ type: 'text', text: '4 C' }] },
      ],
    });
    expect(input).to.deep.equal({
      kind: 'chat',
      messages: [
        { role: 'user', content: 'Tom had' },
        { role: 'assistant', content: '', toolCalls: [call] },
        { role: 'tool', content: '4 C', toolCallId: 'call_1' },
      ],
    });
  });

  it('chat: maps the honoured parameters (the smaller of the two token limits; large seeds folded to 31 bits)', () => {
    const { input, params } = runtimeChat({
      model: 'm',
      messages: [{ role: 'system', content: 'Be brief.' }, ...user],
      max_tokens: 9,
      max_completion_tokens: 4,
      temperature: 0.5,
      top_p: 0.9,
      top_k: 40,
      seed: 2 ** 40 + 7,
      stop: '.',
    });
    expect(input).to.deep.equal({
      kind: 'chat',
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Tom had' },
      ],
    });
    expect(params).to.deep.equal({
      maxTokens: 4,
      temperature: 0.5,
      topP: 0.9,
      topK: 40,
      seed: (2 ** 40 + 7) % 2 ** 31,
      stop: ['.'],
    });
  });

  it('chat: maps n, logprobs, logit_bias and the penalties; neutral values ask for nothing', () => {
    const chat = (extra: Record<string, unknown>) =>
      runtimeChat({ model: 'm', messages: user, ...extra }).params;
    expect(
      chat({
        n: 3,
        logprobs: true,
        top_logprobs: 2,
        logit_bias: { '7': 100 },
        presence_penalty: 0.5,
        frequency_penalty: -0.5,
        repetition_penalty: 1.2,
      }),
    ).to.deep.equal({
      n: 3,
      logprobs: true,
      topLogprobs: 2,
      logitBias: { '7': 100 },
      presencePenalty: 0.5,
      frequencyPenalty: -0.5,
      repetitionPenalty: 1.2,
    });
    expect(chat({ logprobs: false, logit_bias: {} })).to.deep.equal({});
  });

  const completions: [string, Record<string, unknown>, { kind: string; param?: string } | undefined][] = [
    ['a prompt', {}, undefined],
    ['a one-prompt array', { prompt: ['x'] }, undefined],
    ['two prompts', { prompt: ['x', 'y'] }, { kind: 'unsupported', param: 'prompt' }],
    ['a token array', { prompt: [[1, 2]] }, { kind: 'unsupported', param: 'prompt' }],
    ['echo', { echo: true }, undefined],
    ['logprobs 5', { logprobs: 5 }, undefined],
    ['n 2 with best_of 2', { n: 2, best_of: 2 }, undefined],
    ['n 9 with best_of 9', { n: 9, best_of: 9 }, { kind: 'unsupported', param: 'n' }],
    // The decoder reports the logits of a prompt's last position only.
    ['echo with logprobs', { echo: true, logprobs: 0 }, { kind: 'unsupported', param: 'echo' }],
    ['echo "yes"', { echo: 'yes' }, { kind: 'rejected', param: 'echo' }],
    ['logprobs 6', { logprobs: 6 }, { kind: 'rejected', param: 'logprobs' }],
    ['top_logprobs (a chat parameter)', { top_logprobs: 2 }, { kind: 'unsupported', param: 'top_logprobs' }],
    ['suffix', { suffix: 'end' }, { kind: 'unsupported', param: 'suffix' }],
    ['best_of 2 (pick the best of more than n)', { best_of: 2 }, { kind: 'unsupported', param: 'best_of' }],
    [
      'max_completion_tokens (a chat parameter)',
      { max_completion_tokens: 1.5 },
      { kind: 'unsupported', param: 'max_completion_tokens' },
    ],
    ['an empty prompt', { prompt: '' }, { kind: 'rejected', param: 'prompt' }],
  ];
  for (const [what, extra, expected] of completions) {
    it(`completions: given ${what}, ${expected ? `is ${expected.kind} (${expected.param})` : 'is honoured'}`, () => {
      expect(refusal(() => runtimeCompletion({ model: 'm', prompt: 'Tom had', ...extra }))).to.deep.equal(
        expected,
      );
    });
  }

  it('completions: logprobs k asks for k alternatives; echo carries the prompt to put before each choice', () => {
    expect(runtimeCompletion({ prompt: 'Tom had', logprobs: 2, n: 2 })).to.deep.equal({
      input: { kind: 'completion', prompt: 'Tom had' },
      params: { n: 2, logprobs: true, topLogprobs: 2 },
    });
    expect(runtimeCompletion({ prompt: 'Tom had', echo: true }).echo).to.equal('Tom had');
    expect(runtimeCompletion({ prompt: 'Tom had', echo: false })).to.not.have.property('echo');
  });

  const embeddings: [string, Record<string, unknown>, { kind: string; param?: string } | undefined][] = [
    ['texts', { input: ['a', 'b'] }, undefined],
    ['base64', { input: 'a', encoding_format: 'base64' }, undefined],
    ['truncate (an extension)', { input: 'a', truncate: false }, undefined],
    ['truncate as a string', { input: 'a', truncate: 'no' }, { kind: 'rejected', param: 'truncate' }],
    ['dimensions', { input: 'a', dimensions: 8 }, { kind: 'unsupported', param: 'dimensions' }],
    ['token arrays', { input: [[1, 2]] }, { kind: 'unsupported', param: 'input' }],
    ['an empty text', { input: [''] }, { kind: 'rejected', param: 'input' }],
    [
      'a bad encoding',
      { input: 'a', encoding_format: 'hex' },
      { kind: 'rejected', param: 'encoding_format' },
    ],
  ];
  for (const [what, extra, expected] of embeddings) {
    it(`embeddings: given ${what}, ${expected ? `is ${expected.kind} (${expected.param})` : 'is honoured'}`, () => {
      expect(refusal(() => runtimeEmbeddings({ model: 'm', ...extra }))).to.deep.equal(expected);
    });
  }

  it('embeddings: float unless base64 is asked for', () => {
    expect(runtimeEmbeddings({ input: 'a' }).base64).to.equal(false);
    expect(runtimeEmbeddings({ input: 'a', encoding_format: 'base64' }).base64).to.equal(true);
  });

  it('embeddings: truncate passed on when given, else left to the runtime (which truncates)', () => {
    expect(runtimeEmbeddings({ input: 'a' }).truncate).to.equal(undefined);
    expect(runtimeEmbeddings({ input: 'a', truncate: false }).truncate).to.equal(false);
    expect(runtimeEmbeddings({ input: 'a', truncate: true }).truncate).to.equal(true);
  });

  it('responses: unsupported on runtimes', () => {
    expect(refusal(runtimeResponses)).to.deep.equal({ kind: 'unsupported' });
  });
});
