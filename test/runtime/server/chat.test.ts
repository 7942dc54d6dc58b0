/**
 * Chats over gRPC: the `messages` input of ModelInfer and ModelStreamInfer, on a decoder whose tokenizer is
 * Qwen3's (models/src/fixtures/chat.ts): rendered with its ChatML template, ended at <|im_end|>.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { writeQwen3ChatDecoder } from '../../../models/src/fixtures/chat.js';
import type { ChatMessage } from '../../../runtime/src/client/index.js';
import { param } from '../../../runtime/src/protocol/parameters.js';
import { bytesTensor } from '../../../runtime/src/protocol/tensors.js';
import type { ModelInferRequest } from '../../../runtime/src/protocol/types.js';
import { expectCallError, startRuntime, type TestRuntime } from '../helpers/runtime.js';

const terse: ChatMessage[] = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Hi!' },
];

const raw = (inputs: [string, string[]][], task = 'generate'): ModelInferRequest => {
  const tensors = inputs.map(([name, values]) => bytesTensor(name, [values.length], values));
  return {
    model_name: 'qwen-chat',
    parameters: { task: param.string(task) },
    inputs: tensors.map((t) => t.tensor),
    raw_input_contents: tensors.map((t) => t.raw),
  };
};

describe('runtime: chats (the messages input)', function () {
  this.timeout(120_000);
  let dir: string;
  let rt: TestRuntime;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'chat-runtime-'));
    // The 19-token prompt is at positions 0..18: the answer twice (positions 18, 19), then <|im_end|>.
    await writeQwen3ChatDecoder(dir, { endOfTurnAt: 20 });
    rt = await startRuntime('story-writer-v1', { dir, name: 'qwen-chat' });
  });
  after(async () => {
    await rt?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('reports the messages input in ModelMetadata', async () => {
    const metadata = await rt.client.modelMetadata('qwen-chat');
    expect(metadata.inputs.map((t) => [t.name, t.datatype, t.shape])).to.deep.equal([
      ['text_input', 'BYTES', [-1]],
      ['messages', 'BYTES', [-1]],
    ]);
  });

  it('renders a chat with the template (19 prompt tokens) and stops at <|im_end|>, leaving it out', async () => {
    const out = await rt.client.generate({ model: 'qwen-chat', messages: terse, maxTokens: 10 });
    expect(out.promptTokens).to.equal(19);
    expect(out.finishReason).to.equal('stop');
    expect(out.text).to.equal('HelloHello');
    expect(out.completionTokens).to.equal(3);
  });

  it('streams a chat to the same text and finish', async () => {
    const chunks = [];
    for await (const chunk of rt.client.generateStream({
      model: 'qwen-chat',
      messages: terse,
      maxTokens: 10,
    }))
      chunks.push(chunk);
    expect(chunks.map((c) => c.text).join('')).to.equal('HelloHello');
    expect(chunks.at(-1)).to.include({ finishReason: 'stop', promptTokens: 19, completionTokens: 3 });
  });

  it('keeps text_input a bare prompt: the transcript text is 12 tokens', async () => {
    const prompt = 'system: You are terse.\nuser: Hi!\nassistant:';
    const out = await rt.client.generate({ model: 'qwen-chat', prompt, maxTokens: 2 });
    expect(out.promptTokens).to.equal(12);
  });

  it('tokenize shows the ids of the rendered chat', async () => {
    const out = await rt.client.infer(raw([['messages', [JSON.stringify(terse)]]], 'tokenize'));
    const ids = out.outputs.find((o) => o.name === 'token_ids');
    expect(ids?.shape.map(Number)).to.deep.equal([19]);
  });

  it('renders tool calls and tool results with the template', async () => {
    const messages: ChatMessage[] = [
      ...terse,
      {
        role: 'assistant',
        content: '',
        tool_calls: [{ id: 'c1', type: 'function', function: { name: 'clock', arguments: '{}' } }],
      },
      { role: 'tool', content: '12:00', tool_call_id: 'c1' },
    ];
    const out = await rt.client.generate({ model: 'qwen-chat', messages, maxTokens: 4 });
    expect(out.promptTokens).to.be.greaterThan(19);
  });

  const invalid: [string, ModelInferRequest, string][] = [
    ['a chat that is not JSON', raw([['messages', ['Hi!']]]), "element 0 of 'messages': not valid JSON"],
    [
      'an unknown role',
      raw([['messages', ['[{"role":"robot","content":"x"}]']]]),
      "element 0 of 'messages': messages[0].role must be one of system, developer, user, assistant, tool",
    ],
    [
      'texts and chats together',
      raw([
        ['text_input', ['a']],
        ['messages', [JSON.stringify(terse)]],
      ]),
      "the request has inputs 'text_input' and 'messages'; send one of them",
    ],
    [
      'tool-call arguments that are not a JSON object',
      raw([
        [
          'messages',
          [
            JSON.stringify([
              {
                role: 'assistant',
                content: '',
                tool_calls: [{ type: 'function', function: { name: 'f', arguments: 'x' } }],
              },
            ]),
          ],
        ],
      ]),
      "element 0 of 'messages': messages[0].tool_calls[0].function.arguments must be a JSON object",
    ],
  ];
  for (const [name, request, message] of invalid) {
    it(`refuses ${name} with INVALID_ARGUMENT`, async () => {
      await expectCallError(rt.client.infer(request), 'INVALID_ARGUMENT', message);
    });
  }
});
