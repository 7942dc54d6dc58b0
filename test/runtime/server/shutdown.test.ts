import { once } from 'node:events';
import { expect } from 'chai';
import type { RuntimeCallError } from '../../../runtime/src/client/index.js';
import { expectCallError, startRuntime } from '../helpers/runtime.js';

describe('graceful shutdown (story-writer-v1)', () => {
  it('turns NOT_SERVING first, refuses new work, lets the in-flight request finish, then stops', async () => {
    const rt = await startRuntime('story-writer-v1');
    try {
      const inflight = rt.client.generate({
        model: 'story-writer',
        prompt: 'The farmer had three white goats.',
        maxTokens: 100,
        temperature: 0,
      });
      const deadline = Date.now() + 2000;
      while (rt.server.manager.inflightRequests === 0 && Date.now() < deadline)
        await new Promise((r) => setImmediate(r));
      expect(rt.server.manager.inflightRequests).to.equal(1);

      const stopped = rt.server.shutdown(5000);
      expect(await rt.client.health()).to.equal('NOT_SERVING');
      expect(await rt.client.serverReady()).to.equal(false);
      const refused = await expectCallError(
        rt.client.generate({ model: 'story-writer', prompt: 'Hi', maxTokens: 1 }),
        'UNAVAILABLE',
        'ShuttingDown: the runtime is shutting down',
      );
      expect(refused.retryable).to.equal(true);

      expect((await inflight).completionTokens).to.be.greaterThan(0);
      expect(await stopped).to.deep.equal({ drained: true });
      const closed = await rt.client.serverLive({ deadline: 500 }).then(
        () => expect.fail('the server still answers after shutdown'),
        (error: RuntimeCallError) => error,
      );
      // While reconnecting, grpc-js may report the closed server as a passed deadline instead.
      expect(['UNAVAILABLE', 'DEADLINE_EXCEEDED']).to.include(closed.code);
    } finally {
      rt.client.close();
    }
  });
});

describe('drain with a delay (DRAIN_DELAY_SECONDS, story-writer-v1)', () => {
  it('turns readiness false first, keeps taking work for the delay, then refuses it and finishes the rest', async () => {
    // One sequence at a time, so the queued generations keep the runtime busy well past the delay.
    const rt = await startRuntime('story-writer-v1', { env: { MAX_BATCH_SIZE: '1' } });
    try {
      const request = { model: 'story-writer', prompt: 'The farmer had three white goats.', maxTokens: 50 };
      const queued = Array.from({ length: 120 }, () => rt.client.generate(request));
      const chunks: string[] = [];
      const streaming = (async () => {
        for await (const chunk of rt.client.generateStream(request)) chunks.push(chunk.text);
      })();
      while (rt.server.manager.inflightRequests < 121) await new Promise((resolve) => setImmediate(resolve));
      const stopped = rt.server.shutdown(20_000, 300);
      // The next change after readiness went false is the end of the delay (new work refused from then).
      const delayOver = once(rt.server.manager, 'change');
      expect(await rt.client.health()).to.equal('NOT_SERVING');
      expect(await rt.client.serverReady()).to.equal(false);
      // Routers that have not noticed yet are still served.
      const late = rt.client.generate({ ...request, maxTokens: 2 });
      await delayOver;
      expect(rt.server.manager.inflightRequests).to.be.above(0);
      await expectCallError(
        rt.client.generate(request),
        'UNAVAILABLE',
        'ShuttingDown: the runtime is shutting down',
      );
      expect((await late).completionTokens).to.equal(2);
      expect((await Promise.all(queued)).every((r) => r.completionTokens > 0)).to.equal(true);
      await streaming;
      expect(chunks.join('').length).to.be.above(0);
      expect(await stopped).to.deep.equal({ drained: true });
    } finally {
      rt.client.close();
    }
  });
});
