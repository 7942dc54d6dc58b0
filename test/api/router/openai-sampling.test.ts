/**
 * OpenAI sampling parameters on a runtime model, through the official `openai` SDK against a local-mode
 * router: n choices, logprobs, logit_bias, penalties, echo, streamed choices, and out-of-range values.
 */
import { expect } from 'chai';
import OpenAI from 'openai';
import { onnxModel, startRouter, type TestRouter } from './harness.js';

const PROMPT = 'A little brown dog';
const messages = [{ role: 'user' as const, content: PROMPT }];

describe('api/router: OpenAI sampling on runtime models (official openai client)', function () {
  this.timeout(90_000);
  let router: TestRouter;
  let client: OpenAI;

  before(async () => {
    router = await startRouter([onnxModel('writer', 'story-writer-v1', ['v1'])]);
    client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'not-checked', maxRetries: 0 });
  });
  after(() => router?.close());

  it('chat with n = 3 answers three indexed choices, usage over all of them', async () => {
    const one = await client.chat.completions.create({
      model: 'writer',
      messages,
      max_tokens: 8,
      temperature: 1.2,
      seed: 11,
    });
    const three = await client.chat.completions.create({
      model: 'writer',
      messages,
      max_tokens: 8,
      temperature: 1.2,
      seed: 11,
      n: 3,
    });
    expect(three.choices.map((c) => c.index)).to.deep.equal([0, 1, 2]);
    expect(three.choices[0]?.message.content).to.equal(one.choices[0]?.message.content);
    expect(new Set(three.choices.map((c) => c.message.content)).size).to.be.greaterThan(1);
    expect(three.usage?.prompt_tokens).to.equal(one.usage?.prompt_tokens);
    expect(three.usage?.completion_tokens).to.be.greaterThan(one.usage?.completion_tokens as number);
  });

  it('chat logprobs with top_logprobs 2: OpenAI shapes, tokens joining to the content, greedy = most likely', async () => {
    const completion = await client.chat.completions.create({
      model: 'writer',
      messages,
      max_tokens: 6,
      temperature: 0,
      logprobs: true,
      top_logprobs: 2,
    });
    const choice = completion.choices[0];
    const content = choice?.logprobs?.content ?? [];
    expect(content).to.have.length(6);
    expect(content.map((t) => t.token).join('')).to.equal(choice?.message.content);
    for (const t of content) {
      expect(t.bytes).to.deep.equal([...Buffer.from(t.token, 'utf8')]);
      expect(t.top_logprobs).to.have.length(2);
      expect(t.top_logprobs[0]?.token).to.equal(t.token);
      expect(t.logprob).to.equal(Math.max(...t.top_logprobs.map((a) => a.logprob)));
    }
  });

  it('logit_bias +100 on a token makes the greedy answer that token, over and over', async () => {
    const plain = await client.chat.completions.create({
      model: 'writer',
      messages,
      max_tokens: 3,
      temperature: 0,
      logprobs: true,
    });
    const first = plain.choices[0]?.logprobs?.content?.[0]?.token as string;
    // The prompt's last token (' dog'), which greedy decoding does not say next.
    const tokens = await router.post('/api/inference/analyze', {
      model_id: 'writer',
      task: 'tokens',
      input: PROMPT,
    });
    expect(tokens.status, JSON.stringify(tokens.body)).to.equal(200);
    const forced = Number(tokens.body.results[0].token_ids.at(-1));
    const biased = await client.chat.completions.create({
      model: 'writer',
      messages,
      max_tokens: 3,
      temperature: 0,
      logprobs: true,
      logit_bias: { [forced]: 100 },
    });
    const said = biased.choices[0]?.logprobs?.content?.map((t) => t.token) ?? [];
    expect(said).to.have.length(3);
    expect(new Set(said).size).to.equal(1);
    expect(said[0]).to.not.equal(first);
  });

  it('frequency_penalty 2 and repetition_penalty 3 change a repetitive greedy completion', async () => {
    const ask = async (extra: Record<string, number>) =>
      (
        await client.completions.create({
          model: 'writer',
          prompt: PROMPT,
          max_tokens: 24,
          temperature: 0,
          ...extra,
        })
      ).choices[0]?.text;
    const plain = await ask({});
    expect(await ask({ frequency_penalty: 2 })).to.not.equal(plain);
    expect(await ask({ repetition_penalty: 3 })).to.not.equal(plain);
  });

  it('completions with echo put the prompt before each choice; logprobs 2 in the completions shape', async () => {
    const echoed = await client.completions.create({
      model: 'writer',
      prompt: PROMPT,
      max_tokens: 5,
      temperature: 0,
      echo: true,
    });
    const plain = await client.completions.create({
      model: 'writer',
      prompt: PROMPT,
      max_tokens: 5,
      temperature: 0,
      logprobs: 2,
    });
    const text = plain.choices[0]?.text as string;
    expect(echoed.choices[0]?.text).to.equal(PROMPT + text);
    const logprobs = plain.choices[0]?.logprobs;
    expect(logprobs?.tokens?.join('')).to.equal(text);
    expect(logprobs?.token_logprobs).to.have.length(5);
    expect(logprobs?.text_offset?.[0]).to.equal(0);
    expect(logprobs?.text_offset?.[1]).to.equal(logprobs?.tokens?.[0]?.length);
    for (const [i, top] of (logprobs?.top_logprobs ?? []).entries()) {
      expect(Object.keys(top)).to.include(logprobs?.tokens?.[i]);
      expect(logprobs?.token_logprobs?.[i]).to.equal(Math.max(...Object.values(top)));
    }
  });

  it('streams n = 2 chat choices with logprobs: each choice reassembles to the unary answer', async () => {
    const request = {
      model: 'writer',
      messages,
      max_tokens: 6,
      temperature: 1,
      seed: 5,
      n: 2,
      logprobs: true,
    };
    const unary = await client.chat.completions.create(request);
    const stream = await client.chat.completions.create({ ...request, stream: true });
    const texts = ['', ''];
    const tokens: string[][] = [[], []];
    const finishes: (string | null)[] = [null, null];
    for await (const chunk of stream) {
      for (const c of chunk.choices) {
        texts[c.index] += c.delta.content ?? '';
        tokens[c.index]?.push(...(c.logprobs?.content ?? []).map((t) => t.token));
        if (c.finish_reason) finishes[c.index] = c.finish_reason;
      }
    }
    for (const i of [0, 1]) {
      expect(texts[i]).to.equal(unary.choices[i]?.message.content);
      expect(tokens[i]).to.deep.equal(unary.choices[i]?.logprobs?.content?.map((t) => t.token));
      expect(finishes[i]).to.equal(unary.choices[i]?.finish_reason);
    }
  });

  it('streams a completion with echo: the prompt first, then the text', async () => {
    const stream = await client.completions.create({
      model: 'writer',
      prompt: PROMPT,
      max_tokens: 4,
      temperature: 0,
      echo: true,
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    const unary = await client.completions.create({
      model: 'writer',
      prompt: PROMPT,
      max_tokens: 4,
      temperature: 0,
    });
    expect(text).to.equal(PROMPT + unary.choices[0]?.text);
  });

  const refused: [string, Record<string, unknown>, string][] = [
    ['n 9', { n: 9 }, 'n'],
    ['top_logprobs 21', { logprobs: true, top_logprobs: 21 }, 'top_logprobs'],
    ['a logit_bias token outside the vocabulary', { logit_bias: { '999999': 5 } }, 'logit_bias'],
    ['logit_bias 101', { logit_bias: { '5': 101 } }, 'logit_bias'],
    ['presence_penalty 3', { presence_penalty: 3 }, 'presence_penalty'],
    ['frequency_penalty -2.5', { frequency_penalty: -2.5 }, 'frequency_penalty'],
  ];
  for (const [what, extra, param] of refused) {
    it(`chat: refuses ${what} with 400 naming ${param}`, async () => {
      const err = (await client.chat.completions
        .create({ model: 'writer', messages, max_tokens: 2, ...extra } as never)
        .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
      expect(err, what).to.be.instanceOf(OpenAI.BadRequestError);
      expect(err.param).to.equal(param);
    });
  }

  it('completions: refuses echo with logprobs with 400 naming echo', async () => {
    const err = (await client.completions
      .create({ model: 'writer', prompt: PROMPT, max_tokens: 2, echo: true, logprobs: 1 })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect(err.param).to.equal('echo');
  });
});
