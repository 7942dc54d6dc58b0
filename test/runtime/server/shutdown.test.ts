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
