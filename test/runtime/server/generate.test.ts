import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { param } from '../../../runtime/src/protocol/parameters.js';
import { bytesTensor, readTensor } from '../../../runtime/src/protocol/tensors.js';
import { expectCallError, modelDir, startRuntime, type TestRuntime } from '../helpers/runtime.js';

const target = { model: 'story-writer', version: 'v1' };
const PROMPT = 'A little brown dog';

describe('generation over gRPC (story-writer-v1, real ONNX)', () => {
  let rt: TestRuntime;
  before(async () => {
    rt = await startRuntime('story-writer-v1');
  });
  after(() => rt?.stop());

  it('greedy decoding is deterministic and counts prompt and completion tokens', async () => {
    const request = { ...target, prompt: PROMPT, maxTokens: 12, temperature: 0 };
    const [a, b] = [await rt.client.generate(request), await rt.client.generate(request)];
    expect(a).to.deep.equal(b);
    expect(a.text).to.not.equal('');
    const { ids } = await rt.client.tokenize({ ...target, text: PROMPT });
    expect(a.promptTokens).to.equal(ids.length);
    expect(a.completionTokens).to.be.within(1, 12);
    if (a.finishReason === 'length') expect(a.completionTokens).to.equal(12);
  });

  it('max_tokens bounds the output, and running out says finish_reason length', async () => {
    const short = await rt.client.generate({ ...target, prompt: PROMPT, maxTokens: 2, temperature: 0 });
    const long = await rt.client.generate({ ...target, prompt: PROMPT, maxTokens: 12, temperature: 0 });
    expect(short.finishReason).to.equal('length');
    expect(short.completionTokens).to.equal(2);
    expect(long.text.startsWith(short.text)).to.equal(true);
  });

  it('seeded sampling gives the same text for the same seed, also while other requests run', async () => {
    const request = { ...target, prompt: PROMPT, maxTokens: 16, temperature: 1.2, topK: 0, seed: 1234 };
    const alone = await rt.client.generate(request);
    const together = await Promise.all([
      rt.client.generate(request),
      rt.client.generate({ ...request, seed: 99 }),
      rt.client.generate(request),
      rt.client.generate({ ...request, temperature: 0 }),
    ]);
    expect(together[0]).to.deep.equal(alone);
    expect(together[2]).to.deep.equal(alone);
    const texts = await Promise.all(
      [1, 2, 3, 4, 5, 6].map((seed) => rt.client.generate({ ...request, seed })),
    );
    expect(new Set(texts.map((t) => t.text)).size, 'six seeds gave one text').to.be.greaterThan(1);
  });

  it('a stop string cuts the text before it, with finish_reason stop and fewer tokens', async () => {
    const free = await rt.client.generate({ ...target, prompt: PROMPT, maxTokens: 24, temperature: 0 });
    expect(
      free.text.length,
      `greedy output too short to cut: ${JSON.stringify(free.text)}`,
    ).to.be.greaterThan(8);
    const stop = free.text.slice(6, 9);
    const cut = await rt.client.generate({
      ...target,
      prompt: PROMPT,
      maxTokens: 24,
      temperature: 0,
      stop: ['@@', stop],
    });
    expect(cut.finishReason).to.equal('stop');
    expect(cut.text).to.equal(free.text.slice(0, free.text.indexOf(stop)));
    expect(cut.completionTokens).to.be.lessThan(free.completionTokens + 1);
  });

  it('generates each row of a batch on its own: a batch equals its rows run alone', async () => {
    const prompts = [PROMPT, 'The old baker woke up'];
    const input = bytesTensor('text_input', [2], prompts);
    const response = await rt.client.infer({
      model_name: 'story-writer',
      inputs: [input.tensor],
      raw_input_contents: [input.raw],
      parameters: { max_tokens: param.int64(6), temperature: param.double(0) },
    });
    const texts = readTensor(response.outputs[0]!, response.raw_output_contents[0]).data as Buffer[];
    const alone = await Promise.all(
      prompts.map((prompt) => rt.client.generate({ ...target, prompt, maxTokens: 6, temperature: 0 })),
    );
    expect(texts.map(String)).to.deep.equal(alone.map((a) => a.text));
    const total = alone.reduce((sum, a) => sum + a.promptTokens, 0);
    expect(response.parameters.prompt_tokens?.int64_param).to.equal(String(total));
  });

  it('rejects a prompt that leaves no room in the context window', async () => {
    const config = JSON.parse(readFileSync(join(modelDir('story-writer-v1'), 'config.json'), 'utf8')) as {
      n_positions: number;
    };
    const prompt = 'dog '.repeat(config.n_positions);
    await expectCallError(
      rt.client.generate({ ...target, prompt }),
      'INVALID_ARGUMENT',
      `ContextWindowExceeded: element 0 of 'text_input' has`,
    );
  });

  it('caps max_tokens at the room left in the context window', async () => {
    const config = JSON.parse(readFileSync(join(modelDir('story-writer-v1'), 'config.json'), 'utf8')) as {
      n_positions: number;
    };
    const { ids } = await rt.client.tokenize({ ...target, text: PROMPT });
    const room = config.n_positions - ids.length;
    const result = await rt.client.generate({
      ...target,
      prompt: PROMPT,
      maxTokens: room + 50,
      temperature: 0,
    });
    expect(result.completionTokens).to.be.at.most(room);
    if (result.finishReason === 'length') expect(result.completionTokens).to.equal(room);
  });
});
