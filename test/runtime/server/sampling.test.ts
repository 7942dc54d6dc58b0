import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import type { GenerateChunk, GenerateRequest } from '../../../runtime/src/client/index.js';
import {
  expectCallError,
  modelDir,
  startRuntime,
  type TestModel,
  type TestRuntime,
} from '../helpers/runtime.js';

const target = { model: 'story-writer' };
const PROMPT = 'A little brown dog';

/** Tokens generated more than once: what penalties are for. */
const repeats = (ids: readonly number[]) => ids.length - new Set(ids).size;

async function collect(rt: TestRuntime, request: GenerateRequest): Promise<GenerateChunk[]> {
  const chunks: GenerateChunk[] = [];
  for await (const chunk of rt.client.generateStream(request)) chunks.push(chunk);
  return chunks;
}

describe('OpenAI sampling in the decode loop (story-writer-v1 over gRPC)', () => {
  let rt: TestRuntime;
  before(async () => {
    rt = await startRuntime('story-writer-v1', { env: { MAX_BATCH_SIZE: '8' } });
  });
  after(() => rt?.stop());

  it('n sampled choices: choice 0 is the n = 1 answer of the same seed, the others differ; prompt counted once', async () => {
    const request = { ...target, prompt: PROMPT, maxTokens: 10, temperature: 1.2, seed: 42 };
    const one = await rt.client.generate(request);
    const three = await rt.client.generate({ ...request, n: 3 });
    expect(three.choices).to.have.length(3);
    expect(three.choices[0]).to.deep.equal({ text: one.text, finishReason: one.finishReason });
    expect(new Set(three.choices.map((c) => c.text)).size, 'three seeds gave one text').to.be.greaterThan(1);
    expect(three.promptTokens).to.equal(one.promptTokens);
    expect(three.completionTokens).to.be.greaterThan(one.completionTokens);
    expect(await rt.client.generate({ ...request, n: 3 }), 'seeded: the same again').to.deep.equal(three);
  });

  it('prefills the prompt once for n choices: one decoder row runs for three choices', async () => {
    const steps = async () => {
      const { values } = await rt.server.metrics.batchSize.get();
      const value = (name: string) => values.find((v) => v.metricName === name)?.value ?? 0;
      return { runs: value('runtime_batch_size_count'), rows: value('runtime_batch_size_sum') };
    };
    const before = await steps();
    // One new token each: the prefill's logits give every choice its token, so no decoding step follows.
    const result = await rt.client.generate({
      ...target,
      prompt: PROMPT,
      maxTokens: 1,
      temperature: 1,
      seed: 3,
      n: 3,
    });
    const after = await steps();
    expect(result.choices).to.have.length(3);
    expect({ runs: after.runs - before.runs, rows: after.rows - before.rows }).to.deep.equal({
      runs: 1,
      rows: 1,
    });
  });

  it('greedy with n = 2 gives two identical choices (as OpenAI answers; vLLM refuses it)', async () => {
    const greedy = await rt.client.generate({
      ...target,
      prompt: PROMPT,
      maxTokens: 8,
      temperature: 0,
      n: 2,
    });
    expect(greedy.choices[1]).to.deep.equal(greedy.choices[0]);
  });

  it('logprobs: one per generated token, whose texts join to the text; the greedy token is the most likely', async () => {
    const result = await rt.client.generate({
      ...target,
      prompt: PROMPT,
      maxTokens: 12,
      temperature: 0,
      logprobs: true,
      topLogprobs: 3,
    });
    const tokens = result.choices[0]?.logprobs ?? [];
    expect(result.finishReason).to.equal('length');
    expect(tokens).to.have.length(12);
    expect(tokens.map((t) => t.token).join('')).to.equal(result.text);
    for (const t of tokens) {
      expect(t.top).to.have.length(3);
      expect(t.top[0]?.id).to.equal(t.id);
      expect(t.logprob).to.equal(Math.max(...t.top.map((a) => a.logprob)));
      expect(t.logprob).to.be.at.most(0);
      expect(t.top[1]?.logprob).to.be.at.most(t.top[0]?.logprob as number);
    }
  });

  it('logit_bias +100 forces a token; -100 bans the greedy one', async () => {
    const { ids } = await rt.client.tokenize({ ...target, text: ' cat' });
    const cat = ids.at(-1) as number;
    const forced = await rt.client.generate({
      ...target,
      prompt: PROMPT,
      maxTokens: 4,
      temperature: 0,
      logprobs: true,
      logitBias: { [cat]: 100 },
    });
    expect(forced.choices[0]?.logprobs?.map((t) => t.id)).to.deep.equal([cat, cat, cat, cat]);
    const greedy = await rt.client.generate({
      ...target,
      prompt: PROMPT,
      maxTokens: 1,
      temperature: 0,
      logprobs: true,
    });
    const first = greedy.choices[0]?.logprobs?.[0]?.id as number;
    const banned = await rt.client.generate({
      ...target,
      prompt: PROMPT,
      maxTokens: 1,
      temperature: 0,
      logprobs: true,
      logitBias: { [first]: -100 },
    });
    expect(banned.choices[0]?.logprobs?.[0]?.id).to.not.equal(first);
  });

  // presence_penalty 2 alone does not move this small model off a memorised line; its formula is tested as a table.
  for (const [name, penalty] of [
    ['frequency_penalty 2', { frequencyPenalty: 2 }],
    ['repetition_penalty 3', { repetitionPenalty: 3 }],
  ] as const) {
    it(`${name} changes a repetitive greedy output and repeats fewer tokens`, async () => {
      const request = { ...target, prompt: PROMPT, maxTokens: 24, temperature: 0, logprobs: true };
      const plain = await rt.client.generate(request);
      const penalised = await rt.client.generate({ ...request, ...penalty });
      const ids = (r: typeof plain) => r.choices[0]?.logprobs?.map((t) => t.id) ?? [];
      expect(repeats(ids(plain)), 'the unpenalised output repeats tokens').to.be.greaterThan(0);
      expect(penalised.text).to.not.equal(plain.text);
      expect(repeats(ids(penalised))).to.be.lessThan(repeats(ids(plain)));
    });
  }

  it('streams n = 2 choices with logprobs: each choice and its tokens equal the unary call', async () => {
    const request = {
      ...target,
      prompt: PROMPT,
      maxTokens: 8,
      temperature: 1,
      seed: 7,
      n: 2,
      logprobs: true,
      topLogprobs: 1,
    };
    const unary = await rt.client.generate(request);
    const chunks = await collect(rt, request);
    const last = chunks.at(-1);
    expect(last?.finishReasons).to.deep.equal(unary.choices.map((c) => c.finishReason));
    expect(last?.completionTokens).to.equal(unary.completionTokens);
    for (const choice of [0, 1]) {
      const mine = chunks.slice(0, -1).filter((c) => c.choice === choice);
      expect(mine.map((c) => c.text).join('')).to.equal(unary.choices[choice]?.text);
      expect(mine.flatMap((c) => c.logprobs ?? [])).to.deep.equal(unary.choices[choice]?.logprobs);
    }
  });

  const refused: [string, Partial<GenerateRequest>, string][] = [
    ['n 9', { n: 9 }, "parameter 'n' must be an integer from 1 to 8"],
    ['top_logprobs 21', { logprobs: true, topLogprobs: 21 }, "parameter 'top_logprobs'"],
    [
      'a logit_bias id outside the vocabulary',
      { logitBias: { 999999: 5 } },
      "parameter 'logit_bias' names token ids",
    ],
    ['presence_penalty 3', { presencePenalty: 3 }, "parameter 'presence_penalty' must be from -2 to 2"],
    ['repetition_penalty 0', { repetitionPenalty: 0 }, "parameter 'repetition_penalty' must be above 0"],
  ];
  for (const [given, params, message] of refused) {
    it(`given ${given}, answers INVALID_ARGUMENT naming it`, async () => {
      await expectCallError(
        rt.client.generate({ ...target, prompt: PROMPT, maxTokens: 2, ...params }),
        'INVALID_ARGUMENT',
        message,
      );
    });
  }
});

/** For a describe block: a runtime over a copy of `model` whose generation_config.json has `fields` set. */
function withGenerationConfig(model: TestModel, fields: Record<string, unknown>): () => TestRuntime {
  let root: string;
  let rt: TestRuntime;
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'runtime-generation-config-'));
    const dir = join(root, 'story-writer');
    await cp(modelDir(model), dir, { recursive: true });
    const file = join(dir, 'generation_config.json');
    const config = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...config, ...fields }));
    rt = await startRuntime(model, { dir });
  });
  after(async () => {
    await rt?.stop();
    await rm(root, { recursive: true, force: true });
  });
  return () => rt;
}

describe('generation_config.json defaults under the request (a copy of story-writer-v1)', () => {
  const runtime = withGenerationConfig('story-writer-v1', { max_new_tokens: 5, repetition_penalty: 3 });

  it('max_new_tokens is the budget when the request gives none; max_tokens wins', async () => {
    const defaulted = await runtime().client.generate({ ...target, prompt: PROMPT, temperature: 0 });
    expect(defaulted).to.include({ finishReason: 'length', completionTokens: 5 });
    const asked = await runtime().client.generate({
      ...target,
      prompt: PROMPT,
      temperature: 0,
      maxTokens: 2,
    });
    expect(asked.completionTokens).to.equal(2);
  });

  it('repetition_penalty applies unless the request sets its own', async () => {
    const request = { ...target, prompt: PROMPT, temperature: 0, maxTokens: 24 };
    const defaulted = await runtime().client.generate(request);
    const off = await runtime().client.generate({ ...request, repetitionPenalty: 1 });
    const explicit = await runtime().client.generate({ ...request, repetitionPenalty: 3 });
    expect(defaulted.text).to.equal(explicit.text);
    expect(defaulted.text).to.not.equal(off.text);
  });
});

describe('generation_config.json do_sample: the response says it sampled (a copy of story-writer-v2)', () => {
  const runtime = withGenerationConfig('story-writer-v2', { do_sample: true, temperature: 1.5 });

  it('a request without temperature samples, and its unary and streamed answers say so', async () => {
    const request = { ...target, prompt: PROMPT, maxTokens: 4 };
    expect((await runtime().client.generate(request)).sampled).to.equal(true);
    expect((await collect(runtime(), request)).at(-1)?.sampled).to.equal(true);
  });

  it('temperature 0 is greedy: neither answer says it sampled', async () => {
    const request = { ...target, prompt: PROMPT, maxTokens: 4, temperature: 0 };
    expect((await runtime().client.generate(request)).sampled).to.equal(undefined);
    expect((await collect(runtime(), request)).at(-1)?.sampled).to.equal(undefined);
  });
});
