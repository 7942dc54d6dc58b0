/**
 * The built story writer holds a multi-turn chat through the router in local mode: the ChatML prompt
 * of a four-message chat fits its context (the 64-token window of earlier builds answered 400), and the
 * answer ends its turn.
 */
import { AutoTokenizer, env } from '@huggingface/transformers';
import { expect } from 'chai';
import type { ChatMessage } from '../../../models/src/story-writer/chat.js';
import { onnxModel, startRouter, type TestRouter } from '../../api/router/harness.js';
import { ensureBuilt, modelDir, readJson } from '../helpers/artifacts.js';

const CHAT: ChatMessage[] = [
  { role: 'system', content: 'You are a storyteller who tells short stories about animals to children.' },
  { role: 'user', content: 'Please tell me a story about a little brown dog who lives near the water.' },
  {
    role: 'assistant',
    content: 'A little brown dog lived by the river. He liked to chase the leaves that fell from the trees.',
  },
  { role: 'user', content: 'That is lovely. What did the dog do when a leaf floated away on the water?' },
];

describe('story-writer chat through the router (local mode, /v1/chat/completions)', function () {
  this.timeout(120_000);
  let router: TestRouter;
  before(async () => {
    await ensureBuilt();
    router = await startRouter([onnxModel('story-writer', 'story-writer-v2', ['v2'])]);
  });
  after(() => router?.close());

  it('answers a four-message chat rendered with its ChatML template, and ends its turn', async () => {
    const dir = modelDir('story-writer-v2');
    env.allowRemoteModels = false;
    const tok = await AutoTokenizer.from_pretrained(dir);
    const prompt = tok.apply_chat_template(CHAT, {
      add_generation_prompt: true,
      tokenize: true,
      return_tensor: false,
      return_dict: false,
    }) as number[];
    // Well past the 64 tokens the model used to hold.
    expect(prompt.length)
      .to.be.above(64)
      .and.below(readJson<{ n_positions: number }>(`${dir}/config.json`).n_positions);
    const body = { model: 'story-writer', messages: CHAT, max_tokens: 64, temperature: 0 };
    const res = await router.post('/v1/chat/completions', body);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const [choice] = res.body.choices;
    expect(choice.finish_reason).to.equal('stop');
    expect(choice.message.content).to.match(/^[A-Z][^<]*\.$/);
    expect(res.body.usage.completion_tokens).to.be.below(64);
    expect(res.body.usage.prompt_tokens, 'the prompt is the ChatML rendering').to.equal(prompt.length);
  });
});
