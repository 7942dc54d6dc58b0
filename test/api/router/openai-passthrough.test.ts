/**
 * The router as an OpenAI-compatible gateway, driven by the official `openai` SDK: a request reaches a
 * loopback upstream (which records what it receives) as it was sent but for `model`, and the upstream's
 * answer reaches the client as it was sent, streamed or not; runtime models refuse what they cannot honour.
 */
import { expect } from 'chai';
import OpenAI from 'openai';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { richChat, toolAnswer, toolChunks, tools } from '../support/openai-fixtures.js';
import { onnxModel, openaiModel, startRouter, type TestRouter } from './harness.js';

describe('api/router: OpenAI passthrough with the official openai client', function () {
  this.timeout(90_000);
  let upstream: FakeOpenAI;
  let router: TestRouter;
  let client: OpenAI;

  before(async () => {
    upstream = await startFakeOpenAI();
    router = await startRouter([
      onnxModel('writer', 'story-writer-v2', ['v1']),
      openaiModel('remote', upstream.baseURL),
    ]);
    client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: 'not-checked', maxRetries: 0 });
  });
  afterEach(() => {
    upstream.respond = undefined;
  });
  after(async () => {
    await router?.close();
    await upstream?.close();
  });

  it('forwards a chat request with tools, images, tool messages, logprobs, n and unknown fields unchanged but for model', async () => {
    upstream.respond = () => ({ json: toolAnswer });
    const completion = await client.chat.completions.create(richChat as never);
    const received = upstream.requests.at(-1);
    expect(received?.path).to.equal('/v1/chat/completions');
    expect(received?.body).to.deep.equal({ ...richChat, model: 'upstream-remote' });
    expect(received?.headers.authorization).to.equal('Bearer sk-test');
    // The answer as the upstream sent it: both choices, their tool calls and logprobs.
    expect(JSON.parse(JSON.stringify(completion))).to.deep.equal(toolAnswer);
  });

  it('streams tool-call deltas and logprobs as sent; the SDK reassembles the call; the usage it did not ask for is not relayed', async () => {
    upstream.respond = () => ({ events: toolChunks(true) });
    const stream = client.chat.completions.stream({ ...richChat, n: 1 } as never);
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    stream.on('chunk', (c) => chunks.push(c));
    const final = await stream.finalChatCompletion();
    const call = final.choices[0]?.message.tool_calls?.[0] as OpenAI.ChatCompletionMessageFunctionToolCall;
    expect(call.function).to.include({ name: 'get_weather', arguments: '{"city":"Oslo"}' });
    expect(final.choices[0]?.finish_reason).to.equal('tool_calls');
    expect(chunks[2]?.choices[0]?.logprobs?.content?.[0]?.token).to.equal('{"');
    expect(chunks.every((c) => c.choices.length > 0)).to.equal(true);
    const received = upstream.requests.at(-1)?.body;
    // The router asked for usage to meter the stream; everything else is the client's.
    expect(received).to.deep.equal({
      ...richChat,
      n: 1,
      model: 'upstream-remote',
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it('relays the events byte for byte, the usage chunk included when the client asked for it', async () => {
    upstream.respond = () => ({ events: toolChunks(true) });
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'remote',
        messages: [{ role: 'user', content: 'x' }],
        stream: true,
        stream_options: { include_usage: true },
      }),
    });
    expect(res.headers.get('content-type')).to.match(/^text\/event-stream/);
    expect(res.headers.get('x-model-id')).to.equal('remote');
    expect(await res.text()).to.equal(
      toolChunks(true)
        .map((e) => `${e}\n\n`)
        .join(''),
    );
  });

  it('meters a passed-through stream by the usage the upstream reported', async () => {
    const before = await router.metric('router_tokens_total{model="remote",version="",direction="output"}');
    upstream.respond = () => ({ events: toolChunks(true) });
    const stream = await client.chat.completions.create({
      model: 'remote',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    for await (const _ of stream);
    const after = await router.metric('router_tokens_total{model="remote",version="",direction="output"}');
    expect(after - before).to.equal(9);
  });

  it('forwards text completions with prompt arrays, token arrays, echo, suffix and best_of', async () => {
    const body = {
      model: 'remote',
      prompt: [
        [1, 2, 3],
        [4, 5],
      ],
      echo: true,
      suffix: 'end',
      best_of: 3,
      n: 2,
      logprobs: 2,
      max_tokens: 5,
    };
    upstream.respond = () => ({
      json: {
        id: 'cmpl-u',
        object: 'text_completion',
        created: 1,
        model: 'upstream-remote',
        choices: [
          { index: 0, text: 'a', finish_reason: 'length', logprobs: null },
          { index: 1, text: 'b', finish_reason: 'length', logprobs: null },
        ],
        usage: { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 },
      },
    });
    const completion = await client.completions.create(body as never);
    expect(upstream.requests.at(-1)?.body).to.deep.equal({ ...body, model: 'upstream-remote' });
    expect(completion.choices.map((c) => c.text)).to.deep.equal(['a', 'b']);
  });

  it('forwards embeddings dimensions, token-array inputs and the encoding format', async () => {
    const body = {
      model: 'remote',
      input: [[101, 102], [103]],
      dimensions: 3,
      encoding_format: 'float' as const,
    };
    const list = await client.embeddings.create(body as never);
    expect(upstream.requests.at(-1)?.body).to.deep.equal({ ...body, model: 'upstream-remote' });
    expect(list.data).to.have.length(2);
  });

  it('answers GET /v1/models/{id} for every model, and 404 not_found_error for others', async () => {
    for (const id of ['writer', 'remote']) {
      const model = await client.models.retrieve(id);
      expect(model).to.include({ id, object: 'model' });
    }
    const missing = await client.models.retrieve('nope').catch((e: unknown) => e);
    expect(missing).to.be.instanceOf(OpenAI.NotFoundError);
    expect((missing as InstanceType<typeof OpenAI.NotFoundError>).type).to.equal('not_found_error');
  });

  it('passes the Responses API through, streamed and not', async () => {
    const response = await client.responses.create({
      model: 'remote',
      input: 'hello there',
      instructions: 'be brief',
    });
    expect(response.output_text).to.equal('echo: hello there');
    expect(upstream.requests.at(-1)).to.deep.include({ path: '/v1/responses' });
    expect(upstream.requests.at(-1)?.body).to.deep.equal({
      model: 'upstream-remote',
      input: 'hello there',
      instructions: 'be brief',
    });
    const stream = await client.responses.create({ model: 'remote', input: 'streamed', stream: true });
    const types: string[] = [];
    let text = '';
    for await (const event of stream) {
      types.push(event.type);
      if (event.type === 'response.output_text.delta') text += event.delta;
    }
    expect(types).to.deep.equal(['response.created', 'response.output_text.delta', 'response.completed']);
    expect(text).to.equal('echo: streamed');
    // The Responses API reports usage itself: nothing is added to what the client sent.
    expect(upstream.requests.at(-1)?.body).to.deep.equal({
      model: 'upstream-remote',
      input: 'streamed',
      stream: true,
    });
  });

  it("passes an upstream's 4xx error through with its type, param and code", async () => {
    upstream.respond = () => ({
      status: 400,
      json: {
        error: {
          message: "Invalid 'tools[0].function.name'",
          type: 'invalid_request_error',
          param: 'tools[0].function.name',
          code: 'invalid_value',
        },
      },
    });
    const err = (await client.chat.completions
      .create({ model: 'remote', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
    expect(err).to.be.instanceOf(OpenAI.BadRequestError);
    expect(err.type).to.equal('invalid_request_error');
    expect(err.param).to.equal('tools[0].function.name');
    expect(err.code).to.equal('invalid_value');
  });

  describe('runtime models honour or refuse every parameter', () => {
    const refused: [string, Record<string, unknown>, string][] = [
      ['tools', { tools }, 'tools'],
      ['tool_choice required', { tool_choice: 'required' }, 'tool_choice'],
      ['response_format json_object', { response_format: { type: 'json_object' } }, 'response_format'],
      ['n: 9 (runtimes generate up to 8 choices)', { n: 9 }, 'n'],
      ['logprobs 1 (chat takes a boolean)', { logprobs: 1 }, 'logprobs'],
      ['a logit_bias that is no token id', { logit_bias: { cat: 5 } }, 'logit_bias'],
      ['a penalty beyond 2', { presence_penalty: 2.5 }, 'presence_penalty'],
      ['an unknown field', { x_vendor_extension: 1 }, 'x_vendor_extension'],
      [
        'an image part',
        { messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:,' } }] }] },
        'messages[0].content[0]',
      ],
      [
        'a function message',
        { messages: [{ role: 'function', name: 'f', content: 'x' }] },
        'messages[0].role',
      ],
      ['max_completion_tokens 1.5', { max_completion_tokens: 1.5 }, 'max_completion_tokens'],
      ['max_completion_tokens "5"', { max_completion_tokens: '5' }, 'max_completion_tokens'],
      ['max_completion_tokens [5]', { max_completion_tokens: [5] }, 'max_completion_tokens'],
    ];
    for (const [what, extra, param] of refused) {
      it(`refuses ${what} with 400 naming ${param}`, async () => {
        const err = (await client.chat.completions
          .create({
            model: 'writer',
            messages: [{ role: 'user', content: 'Tom had' }],
            max_tokens: 2,
            ...extra,
          } as never)
          .catch((e: unknown) => e)) as InstanceType<typeof OpenAI.BadRequestError>;
        expect(err, what).to.be.instanceOf(OpenAI.BadRequestError);
        expect(err.param).to.equal(param);
        expect(err.type).to.equal('invalid_request_error');
      });
    }

    it('honours the neutral values (tool_choice none, response_format text, n 1, zero penalties, user)', async () => {
      const completion = await client.chat.completions.create({
        model: 'writer',
        messages: [{ role: 'user', content: 'Tom had a small red' }],
        max_completion_tokens: 4,
        temperature: 0,
        tools,
        tool_choice: 'none',
        response_format: { type: 'text' },
        n: 1,
        presence_penalty: 0,
        user: 'u1',
      });
      expect(completion.choices[0]?.message.content).to.be.a('string').and.not.equal('');
    });

    it('refuses the Responses API and embeddings dimensions for runtime models', async () => {
      const responses = await client.responses
        .create({ model: 'writer', input: 'x' })
        .catch((e: unknown) => e);
      expect(responses).to.be.instanceOf(OpenAI.BadRequestError);
      const text = await client.completions
        .create({ model: 'writer', prompt: ['a', 'b'] })
        .catch((e: unknown) => e);
      expect((text as InstanceType<typeof OpenAI.BadRequestError>).param).to.equal('prompt');
    });

    it('never counts invalid parameters against a healthy runtime (no circuit opens)', async () => {
      for (let i = 0; i < 8; i++) {
        const res = await router.post('/v1/completions', {
          model: 'writer',
          prompt: 'Tom had',
          max_completion_tokens: 1.5,
          max_tokens: 1.5,
        });
        expect(res.status).to.equal(400);
      }
      const ok = await router.post('/v1/completions', { model: 'writer', prompt: 'Tom had', max_tokens: 2 });
      expect(ok.status).to.equal(200);
    });
  });

  describe('the REST API passes its other parameters on', () => {
    it('to OpenAI-compatible upstreams as sent', async () => {
      const res = await router.post('/api/inference/text', {
        model_id: 'remote',
        input: 'hi',
        parameters: { max_tokens: 4, presence_penalty: 0.5, response_format: { type: 'json_object' } },
      });
      expect(res.status).to.equal(200);
      expect(upstream.requests.at(-1)?.body).to.deep.include({
        max_tokens: 4,
        presence_penalty: 0.5,
        response_format: { type: 'json_object' },
      });
    });

    it('and runtime models refuse them by name', async () => {
      const res = await router.post('/api/inference/text', {
        model_id: 'writer',
        input: 'hi',
        parameters: { presence_penalty: 0.5 },
      });
      expect(res.status).to.equal(400);
      expect(res.body.error.code).to.equal('unsupported_parameter');
      expect(res.body.error.message).to.include('presence_penalty');
    });
  });
});
