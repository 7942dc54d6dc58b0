/**
 * End to end: every decoder export layout (GPT-2 merged, no cache, Qwen2/Llama GQA with concrete and symbolic
 * cache dims, fp16 cache and logits, num_logits_to_keep) served through the router in local mode, one runtime
 * per layout over a fixture built at test time: chat and text completions, plain and streamed, and the REST
 * text endpoint answer 200 with usage.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { DECODER_FIXTURES } from '../../models/src/fixtures/decoders.js';
import { exportModel, startRouter, type TestRouter } from '../api/router/harness.js';
import { eventually } from '../support/eventually.js';

const NAMES = Object.keys(DECODER_FIXTURES);

/** The data events of a server-sent event stream, [DONE] excluded. */
async function events(res: Response): Promise<any[]> {
  const text = await res.text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('data: ') && line !== 'data: [DONE]')
    .map((line) => JSON.parse(line.slice('data: '.length)));
}

describe('e2e: Hugging Face decoder export layouts served through the router', function () {
  this.timeout(120_000);
  let root: string;
  let router: TestRouter;

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hf-decoders-'));
    const manifests: string[] = [];
    for (const name of NAMES) {
      const dir = join(root, name);
      await (DECODER_FIXTURES[name] as (dir: string) => Promise<void>)(dir);
      manifests.push(exportModel(name, dir, ['text-generation', 'chat']));
    }
    router = await startRouter(manifests, {
      ATTEMPT_TIMEOUT_MS: '20000',
      LOCAL_RUNTIME_OUTPUT: process.env.E2E_RUNTIME_OUTPUT ?? 'ignore',
    });
    for (const name of NAMES) {
      await eventually(
        async () => {
          const res = await router.post('/v1/completions', { model: name, prompt: 'The', max_tokens: 1 });
          return res.status === 200 ? true : undefined;
        },
        `${name} serving`,
        60_000,
      );
    }
  });

  after(async () => {
    await router?.close();
    if (root) await rm(root, { recursive: true, force: true });
  });

  for (const name of NAMES) {
    it(`${name}: /v1/chat/completions and /v1/completions answer with usage`, async () => {
      const chat = await router.post('/v1/chat/completions', {
        model: name,
        messages: [{ role: 'user', content: 'The robot liked to read' }],
        max_tokens: 5,
        temperature: 0,
      });
      expect(chat.status, JSON.stringify(chat.body)).to.equal(200);
      expect(chat.body.choices[0].message.role).to.equal('assistant');
      expect(chat.body.usage.prompt_tokens).to.be.above(0);
      expect(chat.body.usage.completion_tokens).to.be.within(1, 5);

      const completion = await router.post('/v1/completions', {
        model: name,
        prompt: 'A small cat sat by the',
        max_tokens: 4,
        temperature: 0,
      });
      expect(completion.status, JSON.stringify(completion.body)).to.equal(200);
      expect(completion.body.choices[0].text).to.be.a('string');
      expect(completion.body.usage.completion_tokens).to.be.within(1, 4);
    });

    it(`${name}: streamed chat and completions end with usage, and /api/inference/text answers`, async () => {
      for (const [path, body] of [
        ['/v1/chat/completions', { messages: [{ role: 'user', content: 'Every morning the baker' }] }],
        ['/v1/completions', { prompt: 'Every morning the baker' }],
      ] as const) {
        const res = await fetch(`${router.url}${path}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            model: name,
            ...body,
            max_tokens: 4,
            temperature: 0,
            stream: true,
            stream_options: { include_usage: true },
          }),
        });
        expect(res.status, path).to.equal(200);
        const chunks = await events(res);
        expect(chunks.length, path).to.be.above(1);
        expect(chunks.at(-1).usage.completion_tokens, path).to.be.within(1, 4);
      }
      const text = await router.post('/api/inference/text', {
        model_id: name,
        input: 'The children built a boat',
        parameters: { max_tokens: 4, temperature: 0 },
      });
      expect(text.status, JSON.stringify(text.body)).to.equal(200);
      expect(text.body.usage.output_tokens ?? text.body.usage.completion_tokens).to.be.within(1, 4);
    });
  }
});
