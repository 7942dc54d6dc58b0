/**
 * The OpenAI-compatible API driven by the official `openai` SDK, unchanged, against real runtimes (via the
 * local operator) and a loopback OpenAI-compatible upstream.
 */
import { expect } from 'chai';
import OpenAI from 'openai';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { BUILD, onnxModel, openaiModel, startRouter, type TestRouter } from './harness.js';

describe('api/router: the OpenAI-compatible API with the official openai client', function () {
  this.timeout(90_000);
  let upstream: FakeOpenAI;
  let router: TestRouter;
  let client: OpenAI;

  before(async () => {
    upstream = await startFakeOpenAI();
    const embedder = `apiVersion: ai.paissive.io/v1alpha1
kind: AIModel
metadata: {name: embedder}
spec: {provider: onnx, capabilities: [embedding]}
---
apiVersion: ai.paissive.io/v1alpha1
kind: ModelVersion
metadata: {name: embedder-v1}
spec: {model: embedder, version: v1, default: true, artifact: {uri: "file://${BUILD}/sentence-embedder-v1"}}`;
    router = await startRouter([
      onnxModel('writer', 'story-writer-v2', ['v1']),
      embedder,
      openaiModel('remote', upstream.baseURL),
    ]);
    client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'not-checked', maxRetries: 0 });
  });
  after(async () => {
    await router?.close();
    await upstream?.close();
  });

  it('lists the models', async () => {
    const ids = [];
    for await (const model of client.models.list()) ids.push(model.id);
    expect(ids.sort()).to.deep.equal(['embedder', 'remote', 'writer']);
  });

  it('answers a chat completion from a runtime, with usage and the served model', async () => {
    const completion = await client.chat.completions.create({
      model: 'writer',
      messages: [{ role: 'user', content: 'Tom had a small red' }],
      max_tokens: 8,
      temperature: 0,
    });
    expect(completion.object).to.equal('chat.completion');
    expect(completion.model).to.equal('writer');
    // The writer has a chat template: the chat is its ChatML prompt, not the bare text, so it answers, not continues.
    expect(completion.choices[0]?.message.content).to.be.a('string').and.not.equal('');
    expect(completion.usage?.completion_tokens).to.be.within(1, 8);
  });

  it('streams a chat completion, ending with a usage chunk when asked', async () => {
    const stream = await client.chat.completions.create(
      {
        model: 'writer',
        messages: [{ role: 'user', content: 'Tom had a small red' }],
        max_tokens: 8,
        temperature: 0,
        stream: true,
        stream_options: { include_usage: true },
      },
      // Not from the cache (an earlier test asked the same), which replays a stored answer in one piece.
      { headers: { 'cache-control': 'no-cache' } },
    );
    let text = '';
    let usage: OpenAI.CompletionUsage | undefined | null;
    let finish: string | null | undefined;
    let pieces = 0;
    for await (const chunk of stream) {
      const delta = chunk.choices[0]?.delta?.content;
      if (delta) pieces++;
      text += delta ?? '';
      finish = chunk.choices[0]?.finish_reason ?? finish;
      if (chunk.usage) usage = chunk.usage;
    }
    expect(text).to.not.equal('');
    // The runtime streams token by token (ModelStreamInfer): the text arrives in pieces, not in one chunk.
    expect(pieces).to.be.greaterThan(1);
    expect(finish).to.be.oneOf(['stop', 'length']);
    expect(usage?.total_tokens).to.be.greaterThan(0);
  });

  it('streams from an OpenAI-compatible upstream through the router', async () => {
    const stream = await client.chat.completions.create({
      model: 'remote',
      messages: [{ role: 'user', content: 'one two' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta?.content ?? '';
    expect(text).to.equal('echo: one two');
  });

  it('answers a text completion', async () => {
    const completion = await client.completions.create({
      model: 'writer',
      prompt: 'Mia found a blue',
      max_tokens: 4,
      temperature: 0,
    });
    expect(completion.object).to.equal('text_completion');
    expect(completion.choices[0]?.text).to.be.a('string').and.not.be.empty;
  });

  it('embeds texts, in the base64 encoding the SDK asks for by default, and as floats', async () => {
    const b64 = await client.embeddings.create({
      model: 'embedder',
      input: ['the cat sat', 'stocks fell today'],
    });
    expect(b64.data).to.have.length(2);
    expect(b64.data[0]?.embedding).to.have.length(48);
    const floats = await client.embeddings.create({
      model: 'embedder',
      input: 'the cat sat',
      encoding_format: 'float',
    });
    const x = floats.data[0]?.embedding ?? [];
    const y = b64.data[0]?.embedding ?? [];
    expect(x.map((v) => v.toFixed(5))).to.deep.equal(y.map((v) => v.toFixed(5)));
    expect(b64.usage.prompt_tokens).to.be.greaterThan(0);
  });

  it('fails with the status and message the SDK surfaces as typed errors', async () => {
    const missing = await client.chat.completions
      .create({ model: 'nope', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(OpenAI.NotFoundError);
    expect((missing as Error).message).to.include('No model named nope');
    const invalid = await client.chat.completions
      .create({ model: 'writer', messages: [], temperature: 9 })
      .catch((e: unknown) => e);
    expect(invalid).to.be.instanceOf(OpenAI.BadRequestError);
  });
});
