import { expect } from 'chai';
import type { GenerateChunk, GenerateRequest } from '../../../runtime/src/client/index.js';
import { expectCallError, startRuntime, type TestRuntime } from '../helpers/runtime.js';

const PROMPT = 'The farmer had three white goats.';

async function collect(rt: TestRuntime, request: GenerateRequest): Promise<GenerateChunk[]> {
  const chunks: GenerateChunk[] = [];
  for await (const chunk of rt.client.generateStream(request)) chunks.push(chunk);
  return chunks;
}

const joined = (chunks: readonly GenerateChunk[]) => chunks.map((c) => c.text).join('');

describe('streaming generation (ModelStreamInfer, story-writer-v1)', () => {
  let rt: TestRuntime;
  before(async () => {
    rt = await startRuntime('story-writer-v1', { env: { MAX_BATCH_SIZE: '8' } });
  });
  after(() => rt.stop());

  it('streams token by token and ends with the finish reason and counts of the unary call', async () => {
    const request = { model: 'story-writer', prompt: PROMPT, maxTokens: 12, temperature: 0 };
    const unary = await rt.client.generate(request);
    const chunks = await collect(rt, request);
    expect(chunks.length).to.be.above(5);
    expect(joined(chunks)).to.equal(unary.text);
    expect(chunks.slice(0, -1).every((c) => c.finishReason === undefined && c.text !== '')).to.equal(true);
    expect(chunks.at(-1)).to.deep.equal({
      text: '',
      choice: 0,
      finishReason: unary.finishReason,
      finishReasons: [unary.finishReason],
      promptTokens: unary.promptTokens,
      completionTokens: unary.completionTokens,
    });
  });

  it('never streams any part of a stop string, and cuts before it like the unary call', async () => {
    const greedy = await rt.client.generate({
      model: 'story-writer',
      prompt: PROMPT,
      maxTokens: 20,
      temperature: 0,
    });
    const stop = greedy.text.slice(12, 20);
    const request = { model: 'story-writer', prompt: PROMPT, maxTokens: 20, temperature: 0, stop: [stop] };
    const chunks = await collect(rt, request);
    expect(joined(chunks)).to.equal(greedy.text.slice(0, greedy.text.indexOf(stop)));
    expect(chunks.at(-1)?.finishReason).to.equal('stop');
  });

  it('samples with temperature, top_k, top_p and a seed exactly as the unary call does', async () => {
    const request = {
      model: 'story-writer',
      prompt: PROMPT,
      maxTokens: 16,
      temperature: 1.3,
      topK: 20,
      topP: 0.9,
      seed: 42,
    };
    expect(joined(await collect(rt, request))).to.equal((await rt.client.generate(request)).text);
  });

  it('decodes concurrent streams in shared batches, each one as it reads alone', async () => {
    const prompts = [
      PROMPT,
      'Tom had a small red boat.',
      'The old owl lived in a tall tree.',
      'Mia found a shiny key.',
    ];
    const alone = [];
    for (const prompt of prompts) {
      alone.push(
        (await rt.client.generate({ model: 'story-writer', prompt, maxTokens: 10, temperature: 0 })).text,
      );
    }
    const before = await rt.server.metrics.registry.getSingleMetricAsString('runtime_batch_size');
    const streamed = await Promise.all(
      prompts.map((prompt) => collect(rt, { model: 'story-writer', prompt, maxTokens: 10, temperature: 0 })),
    );
    expect(streamed.map(joined)).to.deep.equal(alone);
    const after = await rt.server.metrics.registry.getSingleMetricAsString('runtime_batch_size');
    const labels = 'model="story-writer",version="v1"';
    const read = (text: string, series: string) =>
      Number(
        text
          .split('\n')
          .find((l) => l.startsWith(`${series} `))
          ?.slice(series.length + 1),
      );
    const buckets = (text: string) => read(text, `runtime_batch_size_bucket{le="1",${labels}}`);
    const count = (text: string) => read(text, `runtime_batch_size_count{${labels}}`);
    // Fewer single-row steps than steps: some steps carried several streams.
    expect(count(after) - count(before)).to.be.above(buckets(after) - buckets(before));
  });

  it('stops generating when the reader stops iterating', async () => {
    const stream = rt.client.generateStream({
      model: 'story-writer',
      prompt: PROMPT,
      maxTokens: 50,
      temperature: 0,
    });
    for await (const chunk of stream) {
      expect(chunk.text).not.to.equal('');
      break;
    }
    const deadline = Date.now() + 2000;
    while (rt.server.manager.inflightRequests > 0 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 5));
    expect(rt.server.manager.inflightRequests).to.equal(0);
  });

  it('turns an abort into CANCELLED and a bad request into its status', async () => {
    const controller = new AbortController();
    const stream = rt.client.generateStream(
      { model: 'story-writer', prompt: PROMPT, maxTokens: 50 },
      { signal: controller.signal },
    );
    const consumed = (async () => {
      for await (const _ of stream) controller.abort();
    })();
    await expectCallError(consumed, 'CANCELLED', 'Cancelled');
    await expectCallError(
      collect(rt, { model: 'story-writer', prompt: PROMPT, temperature: -1 }),
      'INVALID_ARGUMENT',
      "InvalidParameter: parameter 'temperature' must be 0 (greedy) or more, got -1",
    );
    await expectCallError(collect(rt, { model: 'other', prompt: PROMPT }), 'NOT_FOUND', 'ModelNotFound');
  });
});
