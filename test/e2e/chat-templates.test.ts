/**
 * End to end: chats through the router in local mode are rendered by the runtime with the model's chat
 * template. Two runtimes over decoders whose tokenizer is Qwen3's (models/src/fixtures/chat.ts): one with its
 * ChatML template, one with the template removed (the plain transcript, as before templates).
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { writeQwen3ChatDecoder } from '../../models/src/fixtures/chat.js';
import { exportModel, startRouter, type TestRouter } from '../api/router/harness.js';
import { eventually } from '../support/eventually.js';

const CHAT = ['text-generation', 'chat'];

/** The chat. */
const terse = [
  { role: 'system', content: 'You are terse.' },
  { role: 'user', content: 'Hi!' },
];

const toolChat = [
  ...terse,
  {
    role: 'assistant',
    content: null,
    tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'clock', arguments: '{}' } }],
  },
  { role: 'tool', tool_call_id: 'call_1', content: '12:00' },
];

describe('e2e: chat templates through the router', function () {
  this.timeout(180_000);
  let root: string;
  let router: TestRouter;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'chat-templates-'));
    const templated = join(root, 'qwen-chat');
    const plain = join(root, 'qwen-plain');
    // The ChatML prompt is 19 tokens (positions 0..18): the answer at 18 and 19, then <|im_end|>.
    await writeQwen3ChatDecoder(templated, { endOfTurnAt: 20 });
    await writeQwen3ChatDecoder(plain, { endOfTurnAt: 20 });
    const configFile = join(plain, 'tokenizer_config.json');
    const { chat_template: _removed, ...config } = JSON.parse(await readFile(configFile, 'utf8'));
    await writeFile(configFile, JSON.stringify(config));
    router = await startRouter(
      [exportModel('qwen-chat', templated, CHAT), exportModel('qwen-plain', plain, CHAT)],
      {
        ATTEMPT_TIMEOUT_MS: '30000',
        LOCAL_RUNTIME_OUTPUT: process.env.E2E_RUNTIME_OUTPUT ?? 'ignore',
      },
    );
    for (const model of ['qwen-chat', 'qwen-plain']) {
      await eventually(
        async () => {
          const res = await router.post('/v1/completions', { model, prompt: 'Hi', max_tokens: 1 });
          return res.status === 200 ? true : undefined;
        },
        `${model} serving`,
        120_000,
      );
    }
  });

  after(async () => {
    await router?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  it("renders the issue's chat with the ChatML template (19 prompt tokens) and ends at <|im_end|>", async () => {
    const res = await router.post('/v1/chat/completions', {
      model: 'qwen-chat',
      messages: terse,
      max_tokens: 10,
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.usage).to.include({ prompt_tokens: 19, completion_tokens: 3 });
    expect(res.body.choices[0].finish_reason).to.equal('stop');
    expect(res.body.choices[0].message.content).to.equal('HelloHello');
  });

  it('streams the same answer, without the end-of-turn text, finishing with stop', async () => {
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'qwen-chat', messages: terse, max_tokens: 10, stream: true }),
    });
    expect(res.status).to.equal(200);
    const events = (await res.text())
      .split('\n')
      .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
      .map((line) => JSON.parse(line.slice('data: '.length)));
    const content = events.map((e) => e.choices?.[0]?.delta?.content ?? '').join('');
    expect(content).to.equal('HelloHello');
    expect(events.map((e) => e.choices?.[0]?.finish_reason).filter(Boolean)).to.deep.equal(['stop']);
  });

  it('passes tool calls and tool results to the template', async () => {
    const res = await router.post('/v1/chat/completions', {
      model: 'qwen-chat',
      messages: toolChat,
      max_tokens: 2,
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.usage.prompt_tokens).to.be.above(19);
  });

  it('a model without a template keeps the plain transcript (12 tokens)', async () => {
    const res = await router.post('/v1/chat/completions', {
      model: 'qwen-plain',
      messages: terse,
      max_tokens: 1,
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    expect(res.body.usage.prompt_tokens).to.equal(12);
  });

  it('a model without a template refuses a tool message with 400', async () => {
    const res = await router.post('/v1/chat/completions', {
      model: 'qwen-plain',
      messages: toolChat,
      max_tokens: 1,
    });
    expect(res.status, JSON.stringify(res.body)).to.equal(400);
    expect(res.body.error.message).to.include(
      'only a model with a chat template can read; this model has none',
    );
  });
});
