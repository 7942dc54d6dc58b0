/**
 * The in-memory job store's caps through the router (local mode without Redis): a caller past its share
 * gets 429 job_store_full with Retry-After, a batch larger than any share 413 job_too_large, both in the
 * one error shape, and other callers' work still fits.
 */
import { expect } from 'chai';
import { openaiModel, startRouter, type TestRouter } from '../router/harness.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { untilFinished } from './poll.js';

const ALICE = 'sk-router-alice-0123456789';
const BOB = 'sk-router-bob-00123456789';

describe('api/jobs: the in-memory job store is bounded (no Redis)', function () {
  this.timeout(60_000);
  let upstream: FakeOpenAI;
  let router: TestRouter;
  let release: () => void = () => undefined;

  const submit = async (key: string, inputs: string[], path = '/api/inference/batch') => {
    const body =
      path === '/api/inference/batch'
        ? { requests: inputs.map((input) => ({ type: 'text', model_id: 'remote', input })) }
        : { model_id: 'remote', input: inputs[0], async: true };
    const res = await fetch(`${router.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as any };
  };

  before(async () => {
    upstream = await startFakeOpenAI();
    router = await startRouter([openaiModel('remote', upstream.baseURL)], {
      ROUTER_API_KEYS: `alice:${ALICE},bob:${BOB}`,
      JOBS_MEMORY_MAX_ITEMS_PER_CALLER: '3',
      JOB_TTL_SECONDS: '120',
    });
  });
  after(async () => {
    release();
    await router?.close();
    await upstream?.close();
  });

  it('answers 413 job_too_large for a batch larger than a caller may ever hold', async () => {
    const res = await submit(ALICE, ['a', 'b', 'c', 'd']);
    expect(res.status).to.equal(413);
    expect(res.body.error).to.include({ code: 'job_too_large' });
    expect(res.body.error.details).to.include({ items: 4, max_items: 3 });
  });

  it("answers 429 job_store_full with Retry-After past the caller's share; bob's batch still fits", async () => {
    const held = new Promise<void>((ok) => {
      release = ok;
    });
    upstream.hold = () => held;
    try {
      const first = await submit(ALICE, ['one', 'two', 'three']);
      expect(first.status).to.equal(202);
      for (const path of ['/api/inference/batch', '/api/inference/text']) {
        const refused = await submit(ALICE, ['four'], path);
        expect(refused.status, path).to.equal(429);
        expect(refused.body.error.code, path).to.equal('job_store_full');
        expect(refused.body.error.details).to.include({ cap: 'caller', max_items: 3 });
        // Nothing of alice's has finished: room appears no sooner than the job TTL from now.
        expect(refused.headers.get('retry-after'), path).to.equal('120');
      }
      const bob = await submit(BOB, ['for bob']);
      expect(bob.status).to.equal(202);
      release();
      const done = await untilFinished(
        (path) =>
          fetch(`${router.url}${path}`, { headers: { authorization: `Bearer ${ALICE}` } }).then(
            async (r) => ({
              status: r.status,
              body: await r.json(),
            }),
          ),
        first.body.status_url,
      );
      expect(done.status).to.equal('completed');
      // Still held until it expires: the share stays full, and Retry-After counts down from its expiry.
      const later = await submit(ALICE, ['four']);
      expect(later.status).to.equal(429);
      expect(Number(later.headers.get('retry-after'))).to.be.within(1, 120);
    } finally {
      upstream.hold = undefined;
      release();
    }
  });
});
