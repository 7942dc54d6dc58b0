import { expect } from 'chai';
import { BackendError } from '../../../api/src/backends/backend.js';
import { OpenAIBackend } from '../../../api/src/backends/openai-backend.js';
import { catalogModel } from '../support/catalog.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';

describe('api/backends: OpenAIBackend against a loopback OpenAI-compatible server', () => {
  let upstream: FakeOpenAI;
  before(async () => {
    upstream = await startFakeOpenAI();
  });
  after(() => upstream.close());
  beforeEach(() => {
    upstream.fault = 'none';
  });

  const target = () => ({
    model: catalogModel('gpt', [], {
      provider: 'openai',
      endpoint: { baseURL: upstream.baseURL, model: 'upstream-model', apiKeyEnv: 'KEY' },
    }),
  });
  const backend = new OpenAIBackend(() => 'sk-test-secret');
  const ctx = (ms = 2000) => ({ deadline: Date.now() + ms, requestId: 'req-1' });

  it('generates through chat completions with the upstream model name, the key and the request id', async () => {
    const out = await backend.generate(
      target(),
      'hello',
      { maxTokens: 5, temperature: 0, stop: ['\n'] },
      ctx(),
    );
    expect(out).to.deep.equal({ text: 'echo: hello', finishReason: 'stop', inputTokens: 7, outputTokens: 3 });
    const sent = upstream.requests.at(-1);
    expect(sent?.body).to.include({ model: 'upstream-model', max_tokens: 5, temperature: 0 });
    expect(sent?.headers.authorization).to.equal('Bearer sk-test-secret');
    expect(sent?.headers['x-request-id']).to.equal('req-1');
  });

  it('returns embeddings in input order', async () => {
    const out = await backend.embed(target(), ['a', 'b', 'c'], true, ctx());
    expect(out.embeddings.map((e) => e[0])).to.deep.equal([0, 1, 2]);
    expect(out.inputTokens).to.equal(6);
  });

  const failures: [FakeOpenAI['fault'], string][] = [
    ['http500', 'upstream_error'],
    ['http429', 'overloaded'],
    ['http400', 'rejected'],
    ['http401', 'misconfigured'],
    ['drop', 'unavailable'],
  ];
  for (const [fault, kind] of failures) {
    it(`given ${fault}, fails with kind ${kind} (and makes exactly one request: no SDK retries)`, async () => {
      upstream.fault = fault;
      const before = upstream.requests.length;
      const err = await backend.generate(target(), 'x', {}, ctx()).catch((e: unknown) => e);
      expect(err).to.be.instanceOf(BackendError).with.property('kind', kind);
      expect(upstream.requests.length - before).to.equal(1);
      expect(String((err as Error).message)).to.not.include('sk-test-secret');
    });
  }

  it('given 429 with Retry-After, carries the wait', async () => {
    upstream.fault = 'http429';
    const err = (await backend.generate(target(), 'x', {}, ctx()).catch((e: unknown) => e)) as BackendError;
    expect(err.retryAfterMs).to.equal(2000);
  });

  it('given an upstream that never answers, times out at the deadline', async () => {
    upstream.fault = 'hang';
    const started = Date.now();
    const err = await backend.generate(target(), 'x', {}, ctx(300)).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(BackendError).with.property('kind', 'timeout');
    expect(Date.now() - started).to.be.lessThan(2000);
  });
});
