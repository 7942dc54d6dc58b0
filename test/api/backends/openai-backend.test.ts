import { expect } from 'chai';
import { BackendError } from '../../../api/src/backends/backend.js';
import { DEFAULT_OPENAI_BACKEND_OPTIONS, OpenAIBackend } from '../../../api/src/backends/openai-backend.js';
import { CircuitBreakers } from '../../../api/src/routing/circuit-breaker.js';
import { catalogModel } from '../support/catalog.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { backendContract } from './backend.contract.js';
import { deadPort, startSilentServer } from './silent-server.js';

const model = (baseURL: string, name = 'gpt') =>
  catalogModel(name, [], {
    provider: 'openai',
    capabilities: ['chat', 'embedding'],
    endpoint: { baseURL, model: 'upstream-model', apiKeyEnv: 'KEY' },
  });

describe('api/backends: OpenAIBackend (loopback OpenAI-compatible upstream)', () => {
  let upstream: FakeOpenAI;
  let silent: Awaited<ReturnType<typeof startSilentServer>>;
  let dead: number;
  const breakers = () => new CircuitBreakers({ failureThreshold: 1000, cooldownMs: 1000 });
  const backend = new OpenAIBackend(() => 'sk-test-secret', breakers());

  before(async () => {
    upstream = await startFakeOpenAI();
    silent = await startSilentServer();
    dead = await deadPort();
  });
  after(async () => {
    await upstream.close();
    await silent.close();
  });
  beforeEach(() => {
    upstream.fault = 'none';
    upstream.script.length = 0;
  });

  backendContract('OpenAIBackend', () => ({
    backend,
    generator: { model: model(upstream.baseURL) },
    embedder: { model: model(upstream.baseURL) },
    dead: { model: model(`http://127.0.0.1:${dead}/v1`) },
    silent: { model: model(`http://${silent.address}/v1`) },
    rejectNext: () => {
      upstream.script.push('http400');
      return 'hello';
    },
  }));

  const ctx = (ms = 2000) => ({ deadline: Date.now() + ms, requestId: 'req-1' });
  const chat = { kind: 'chat', messages: [{ role: 'user', content: 'hello' }] } as const;

  it('refuses truncate true for embeddings (OpenAI-compatible APIs do not truncate), naming it, without a call', async () => {
    const before = upstream.requests.length;
    const err = await backend
      .embed({ model: model(upstream.baseURL) }, ['a text'], { truncate: true }, ctx())
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(BackendError).with.property('kind', 'unsupported');
    expect(err).to.have.property('param', 'parameters.truncate');
    expect(upstream.requests.length).to.equal(before);
    const kept = await backend.embed(
      { model: model(upstream.baseURL) },
      ['a text'],
      { truncate: false },
      ctx(),
    );
    expect(kept.embeddings).to.have.length(1);
  });

  it('sends the upstream model name, the key and the request id; never retries on its own', async () => {
    upstream.fault = 'http500';
    const before = upstream.requests.length;
    const err = await backend
      .generate({ model: model(upstream.baseURL) }, chat, { maxTokens: 5 }, ctx())
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(BackendError).with.property('kind', 'upstream_error');
    expect(upstream.requests.length - before).to.equal(1);
    const sent = upstream.requests.at(-1);
    expect(sent?.body).to.include({ model: 'upstream-model', max_tokens: 5 });
    expect(sent?.headers.authorization).to.equal('Bearer sk-test-secret');
    expect(sent?.headers['x-request-id']).to.equal('req-1');
    expect(String((err as Error).message)).to.not.include('sk-test-secret');
  });

  const failures: [FakeOpenAI['fault'], string][] = [
    ['http500', 'upstream_error'],
    ['http429', 'overloaded'],
    ['http400', 'rejected'],
    ['http401', 'misconfigured'],
    ['drop', 'unavailable'],
  ];
  for (const [fault, kind] of failures) {
    it(`given ${fault}, fails with kind ${kind}`, async () => {
      upstream.fault = fault;
      const err = await backend
        .generate({ model: model(upstream.baseURL) }, chat, {}, ctx())
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(BackendError).with.property('kind', kind);
    });
  }

  it('names an upstream it cannot reach, or that does not answer in time, by its model, never its address', async () => {
    const failures = await Promise.all(
      [`http://127.0.0.1:${dead}/v1`, `http://${silent.address}/v1`].map((url) =>
        backend.generate({ model: model(url, 'gpt-x') }, chat, {}, ctx(300)).catch((e: BackendError) => e),
      ),
    );
    expect(failures.map((f) => (f as BackendError).kind)).to.deep.equal(['unavailable', 'timeout']);
    for (const failure of failures) {
      expect((failure as BackendError).message).to.match(/upstream of model gpt-x/);
      expect((failure as BackendError).message).to.not.include('127.0.0.1');
      expect((failure as BackendError).cause, 'the transport error, which a log would quote').to.equal(
        undefined,
      );
    }
  });

  it('given 429 with Retry-After, carries the wait', async () => {
    upstream.fault = 'http429';
    upstream.retryAfter = '2';
    const err = (await backend
      .generate({ model: model(upstream.baseURL) }, chat, {}, ctx())
      .catch((e: unknown) => e)) as BackendError;
    expect(err.retryAfterMs).to.equal(2000);
  });

  it('reads the final usage chunk of a stream', async () => {
    const events = [];
    for await (const e of backend.stream({ model: model(upstream.baseURL) }, chat, {}, ctx())) events.push(e);
    expect(events.at(-1)).to.deep.equal({
      type: 'done',
      finishReason: 'stop',
      inputTokens: 7,
      outputTokens: 2,
    });
  });

  it('fails a stream broken after its first chunk as upstream_error', async () => {
    upstream.fault = 'broken-stream';
    const events: unknown[] = [];
    const err = await (async () => {
      for await (const e of backend.stream({ model: model(upstream.baseURL) }, chat, {}, ctx()))
        events.push(e);
    })().catch((e: unknown) => e);
    expect(events).to.have.length(1);
    expect(err).to.be.instanceOf(BackendError).with.property('kind', 'upstream_error');
  });

  it('opens the circuit after repeated failures and refuses at once while open', async () => {
    const tight = new OpenAIBackend(
      () => 'k',
      new CircuitBreakers({ failureThreshold: 2, cooldownMs: 60_000 }),
    );
    upstream.fault = 'http500';
    const target = { model: model(upstream.baseURL, 'flaky') };
    for (let i = 0; i < 2; i++) await tight.generate(target, chat, {}, ctx()).catch(() => undefined);
    const before = upstream.requests.length;
    const err = (await tight.generate(target, chat, {}, ctx()).catch((e: unknown) => e)) as BackendError;
    expect(err.circuitOpen).to.equal(true);
    expect(err.kind).to.equal('unavailable');
    expect(upstream.requests.length).to.equal(before);
  });

  it('fails an answer larger than the bound as upstream_error, without holding it', async () => {
    const bounded = new OpenAIBackend(() => 'k', breakers(), {
      ...DEFAULT_OPENAI_BACKEND_OPTIONS,
      maxResponseBytes: 64 * 1024,
    });
    upstream.respond = () => ({ json: { id: 'x', choices: [{ text: 'y'.repeat(1024 * 1024) }] } });
    try {
      const err = await bounded
        .generate({ model: model(upstream.baseURL) }, chat, {}, ctx())
        .catch((e: unknown) => e);
      expect(err).to.be.instanceOf(BackendError).with.property('kind', 'upstream_error');
      expect((err as Error).message).to.include('UPSTREAM_MAX_RESPONSE_BYTES');
    } finally {
      upstream.respond = undefined;
      bounded.close();
    }
  });

  it('fails a stream that stalls after its first event as a timeout once the idle time passes', async () => {
    const impatient = new OpenAIBackend(() => 'k', breakers(), {
      ...DEFAULT_OPENAI_BACKEND_OPTIONS,
      streamIdleMs: 200,
    });
    upstream.fault = 'stall-stream';
    const events: unknown[] = [];
    const started = Date.now();
    const err = await (async () => {
      for await (const e of impatient.stream({ model: model(upstream.baseURL) }, chat, {}, ctx(10_000)))
        events.push(e);
    })().catch((e: unknown) => e);
    expect(events).to.have.length(1);
    expect(err).to.be.instanceOf(BackendError).with.property('kind', 'timeout');
    expect(Date.now() - started).to.be.within(150, 2000);
    impatient.close();
  });

  it('settles a half-open circuit whose probe stream the client abandoned', async () => {
    const circuits = new CircuitBreakers({ failureThreshold: 1, cooldownMs: 50 });
    const probed = new OpenAIBackend(() => 'k', circuits);
    const target = { model: model(upstream.baseURL, 'probed') };
    upstream.script.push('http500');
    await probed.generate(target, chat, {}, ctx()).catch(() => undefined);
    expect(circuits.state(`openai:${upstream.baseURL}`)).to.equal('open');
    await new Promise((r) => setTimeout(r, 60));
    const iterator = probed.stream(target, chat, {}, ctx())[Symbol.asyncIterator]();
    expect((await iterator.next()).done).to.equal(false);
    await iterator.return?.();
    // The probe is over: the next request goes through instead of being refused as circuit open forever.
    const out = await probed.generate(target, chat, {}, ctx());
    expect(out.text).to.equal('echo: hello');
    probed.close();
  });
});
