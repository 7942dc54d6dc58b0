/**
 * One contract every inference backend passes (runtime over gRPC, OpenAI-compatible over HTTP): the same
 * answers through generate and stream, typed failures for a dead endpoint, a passed deadline, a cancelled
 * call and a request the model rejects.
 */
import { expect } from 'chai';
import {
  BackendError,
  type CallContext,
  type InferenceBackend,
  type RouteTarget,
  type StreamEvent,
} from '../../../api/src/backends/backend.js';

export interface BackendHarness {
  readonly backend: InferenceBackend;
  /** A target that generates text. */
  readonly generator: RouteTarget;
  /** A target that embeds text. */
  readonly embedder: RouteTarget;
  /** A target whose endpoint refuses connections. */
  readonly dead: RouteTarget;
  /** A target whose endpoint accepts and never answers. */
  readonly silent: RouteTarget;
  /** Makes the next call to `generator` fail as a request the model rejects; returns the prompt to send. */
  rejectNext(): string;
}

const ctx = (ms = 5000, signal?: AbortSignal): CallContext => ({
  deadline: Date.now() + ms,
  requestId: 'contract',
  signal,
});

async function collect(events: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const all: StreamEvent[] = [];
  for await (const e of events) all.push(e);
  return all;
}

async function failure(call: Promise<unknown> | AsyncIterable<unknown>): Promise<BackendError> {
  try {
    if (Symbol.asyncIterator in (call as object)) await collect(call as AsyncIterable<StreamEvent>);
    else await call;
  } catch (err) {
    expect(err).to.be.instanceOf(BackendError);
    return err as BackendError;
  }
  throw new Error('expected a BackendError');
}

export function backendContract(name: string, harness: () => BackendHarness): void {
  describe(`${name}: the backend contract`, () => {
    const chat = { kind: 'chat', messages: [{ role: 'user', content: 'Tom had a small red' }] } as const;
    const params = { maxTokens: 6, temperature: 0 };

    it('generates from a chat: text, a finish reason, token counts', async () => {
      const { backend, generator } = harness();
      const out = await backend.generate(generator, chat, params, ctx());
      expect(out.text).to.be.a('string').and.not.be.empty;
      expect(out.finishReason).to.be.oneOf(['stop', 'length']);
      expect(out.inputTokens).to.be.greaterThan(0);
      expect(out.outputTokens).to.be.greaterThan(0);
    });

    it('generates from a bare prompt (completions)', async () => {
      const { backend, generator } = harness();
      const out = await backend.generate(
        generator,
        { kind: 'completion', prompt: 'Tom had a small red' },
        params,
        ctx(),
      );
      expect(out.text).to.be.a('string').and.not.be.empty;
    });

    it('streams the same text as it generates, then one done event with the usage', async () => {
      const { backend, generator } = harness();
      const whole = await backend.generate(generator, chat, params, ctx());
      const events = await collect(backend.stream(generator, chat, params, ctx()));
      const done = events.at(-1);
      expect(done?.type).to.equal('done');
      expect(events.filter((e) => e.type === 'done')).to.have.length(1);
      const text = events.map((e) => (e.type === 'text' ? e.text : '')).join('');
      expect(text).to.equal(whole.text);
      if (done?.type === 'done') {
        expect(done.inputTokens).to.be.greaterThan(0);
        expect(done.outputTokens).to.be.greaterThan(0);
      }
    });

    it('embeds texts in order', async () => {
      const { backend, embedder } = harness();
      const out = await backend.embed(embedder, ['first text', 'second text'], { normalize: true }, ctx());
      expect(out.embeddings).to.have.length(2);
      expect(out.embeddings[0]).to.not.deep.equal(out.embeddings[1]);
    });

    it('fails as unavailable when the endpoint refuses connections', async () => {
      const { backend, dead } = harness();
      expect((await failure(backend.generate(dead, chat, params, ctx()))).kind).to.equal('unavailable');
    });

    it('fails as timeout at the deadline when the endpoint never answers', async () => {
      const { backend, silent } = harness();
      const started = Date.now();
      expect((await failure(backend.generate(silent, chat, params, ctx(300)))).kind).to.equal('timeout');
      expect(Date.now() - started).to.be.within(250, 2000);
    });

    it('fails as cancelled when the caller aborts', async () => {
      const { backend, silent } = harness();
      const abort = new AbortController();
      setTimeout(() => abort.abort(), 100);
      expect((await failure(backend.generate(silent, chat, params, ctx(5000, abort.signal)))).kind).to.equal(
        'cancelled',
      );
    });

    it('fails as rejected when the model refuses the request itself', async () => {
      const h = harness();
      const prompt = h.rejectNext();
      const input = { kind: 'chat', messages: [{ role: 'user', content: prompt }] } as const;
      const err = await failure(h.backend.generate(h.generator, input, params, ctx()));
      expect(err.kind).to.equal('rejected');
    });
  });
}
