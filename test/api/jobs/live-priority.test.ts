/**
 * A big background batch never starves live traffic: with the model's batch items all stuck at the
 * upstream, a live request to the same model is still answered at once, and the batch never has more
 * than BATCH_MODEL_CONCURRENCY items in flight there. Counted, not timed.
 */
import { expect } from 'chai';
import { eventually } from '../../support/eventually.js';
import { openaiModel, startRouter, type TestRouter } from '../router/harness.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { untilFinished } from './poll.js';

describe('api/jobs: live requests keep priority over batch items', function () {
  this.timeout(60_000);
  let upstream: FakeOpenAI;
  let router: TestRouter;
  let release: () => void = () => undefined;

  before(async () => {
    upstream = await startFakeOpenAI();
    router = await startRouter(
      [openaiModel('busy', upstream.baseURL), openaiModel('other', upstream.baseURL)],
      {
        BATCH_CONCURRENCY: '3',
        BATCH_MODEL_CONCURRENCY: '2',
        // The held items wait as long as the test needs: an attempt that timed out would be sent again and
        // count as a third item at the upstream on a slow machine.
        ATTEMPT_TIMEOUT_MS: '120000',
        REQUEST_TIMEOUT_MS: '120000',
      },
    );
  });
  after(async () => {
    release();
    await router?.close();
    await upstream?.close();
  });

  it('answers a live request while the batch holds its bounded share of the model', async () => {
    const gate = new Promise<void>((ok) => {
      release = ok;
    });
    let held = 0;
    let maxHeld = 0;
    upstream.hold = (body) => {
      const content = JSON.stringify(body.messages);
      if (!content.includes('batch item')) return undefined;
      held += 1;
      maxHeld = Math.max(maxHeld, held);
      return gate.then(() => {
        held -= 1;
      });
    };
    const items = Array.from({ length: 40 }, (_, i) => ({
      type: 'text',
      model_id: 'busy',
      input: `batch item ${i}`,
    }));
    const accepted = await router.post('/api/inference/batch', { priority: 'background', requests: items });
    expect(accepted.status).to.equal(202);
    await eventually(async () => (held === 2 ? true : undefined), 'two batch items at the upstream');

    // The batch is stuck with its two items in flight, yet live requests to the same model are answered.
    for (const input of ['live one', 'live two', 'live three']) {
      const live = await router.post('/api/inference/text', { model_id: 'busy', input });
      expect(live.status).to.equal(200);
      expect(live.body.output).to.equal(`echo: ${input}`);
    }
    // And the batch's third worker slot is free for another model's batch.
    const other = await router.post('/api/inference/batch', {
      requests: [{ type: 'text', model_id: 'other', input: 'another model' }],
    });
    expect((await untilFinished(router.get, other.body.status_url)).status).to.equal('completed');
    const stuck = (await router.get(accepted.body.status_url)).body;
    expect(stuck.progress.completed).to.equal(0);
    expect(held).to.equal(2);

    release();
    const done = await untilFinished(router.get, accepted.body.status_url);
    expect(done.progress.succeeded).to.equal(40);
    expect(maxHeld).to.equal(2);
  });
});
