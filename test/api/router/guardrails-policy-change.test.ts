/**
 * Output guardrails apply when an answer is served, not when it is cached: an answer cached before the model
 * had guardrails is redacted once they are added (the manifest edited while local mode runs), and shown as
 * the model gave it once they are removed again.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { eventually } from '../../support/eventually.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { openaiModel, startRouter, type TestRouter } from './harness.js';

describe('api/router: a changed guardrails policy applies to cached answers', function () {
  this.timeout(60_000);
  let upstream: FakeOpenAI;
  let router: TestRouter;
  const model = (guardrails: string) =>
    openaiModel('m', upstream.baseURL, `  cache: {ttlSeconds: 600}\n${guardrails}`);

  before(async () => {
    upstream = await startFakeOpenAI();
    router = await startRouter([model('')]);
  });
  after(async () => {
    await router?.close();
    await upstream?.close();
  });

  const ask = async () => {
    const res = await router.post('/api/inference/text', {
      model_id: 'm',
      input: 'card 4111 1111 1111 1111',
      parameters: { temperature: 0 },
    });
    return { cache: res.headers.get('x-cache'), output: res.body.output as string };
  };
  const edit = (guardrails: string) => writeFile(join(router.dir, 'm0.yaml'), model(guardrails));

  it('redacts the cached answer once the policy says so, and not after it is lifted', async () => {
    expect(await ask()).to.deep.equal({ cache: 'MISS', output: 'echo: card 4111 1111 1111 1111' });
    await edit('  guardrails: {output: {redact: {detectors: [creditCard]}}}');
    const redacted = await eventually(async () => {
      const a = await ask();
      return a.output.includes('REDACTED') ? a : undefined;
    }, 'the new policy');
    expect(redacted).to.deep.equal({ cache: 'HIT', output: 'echo: card [REDACTED:creditCard]' });
    await edit('');
    const plain = await eventually(async () => {
      const a = await ask();
      return a.output.includes('REDACTED') ? undefined : a;
    }, 'the policy lifted');
    expect(plain).to.deep.equal({ cache: 'HIT', output: 'echo: card 4111 1111 1111 1111' });
    expect(upstream.requests).to.have.length(1);
  });
});
