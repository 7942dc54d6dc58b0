/**
 * Router API keys end to end: a router started with ROUTER_API_KEYS (a variable) and ROUTER_API_KEYS_FILE
 * (a file, as the chart mounts a Secret) refuses requests without a known key on every API route, both
 * serving paths included, keeps probes and /metrics open, meters usage per caller, and never passes a
 * caller's key on to a provider.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import OpenAI from 'openai';
import { eventually } from '../../support/eventually.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { openaiModel, startRouter, type TestRouter } from './harness.js';

const SEARCH_KEY = 'sk-router-search-0123456789';
const SUPPORT_KEY = 'sk-router-support-0123456789';

describe('api/router: router API keys and per-caller metering', function () {
  this.timeout(60_000);
  let upstream: FakeOpenAI;
  let router: TestRouter;
  let dir: string;

  before(async () => {
    upstream = await startFakeOpenAI();
    dir = await mkdtemp(join(tmpdir(), 'router-keys-'));
    await writeFile(join(dir, 'keys'), `# mounted from a Secret\nsupport-bot:${SUPPORT_KEY}\n`);
    router = await startRouter([openaiModel('remote', upstream.baseURL)], {
      ROUTER_API_KEYS: `search-team:${SEARCH_KEY}`,
      ROUTER_API_KEYS_FILE: join(dir, 'keys'),
      ROUTER_API_KEYS_RELOAD_SECONDS: '1',
    });
  });
  after(async () => {
    await router?.close();
    await upstream?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const text = { model_id: 'remote', input: 'hello', parameters: { max_tokens: 4 } };

  it('answers 401 in the one error shape, on the lean and the Express path, before reading the body', async () => {
    for (const [path, body] of [
      ['/api/inference/text', text],
      ['/v1/chat/completions', { model: 'remote', messages: [{ role: 'user', content: 'hi' }] }],
    ] as const) {
      const res = await router.post(path, body);
      expect(res.status, path).to.equal(401);
      expect(res.body.error.code).to.equal('unauthorized');
      expect(res.headers.get('www-authenticate')).to.equal('Bearer');
    }
    const wrong = await router.post('/api/inference/text', text, {
      authorization: 'Bearer sk-router-guess-0000000',
    });
    expect(wrong.status).to.equal(401);
    expect(wrong.body.error.message).to.equal('The API key is not valid');
    const garbage = await fetch(`${router.url}/api/inference/text`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(garbage.status).to.equal(401);
    const models = await router.get('/api/models');
    expect(models.status).to.equal(401);
    expect(upstream.requests).to.have.length(0);
  });

  it('keeps probes, /metrics and /openapi.json open', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json']) {
      expect((await fetch(`${router.url}${path}`)).status, path).to.equal(200);
    }
  });

  it('serves a known key (Bearer or x-api-key) and uses the model key upstream, never the caller key', async () => {
    const ok = await router.post('/api/inference/text', text, { authorization: `Bearer ${SEARCH_KEY}` });
    expect(ok.status).to.equal(200);
    const listed = await fetch(`${router.url}/api/models`, { headers: { 'x-api-key': SUPPORT_KEY } });
    expect(listed.status).to.equal(200);
    const client = new OpenAI({ baseURL: `${router.url}/v1`, apiKey: SUPPORT_KEY, maxRetries: 0 });
    const completion = await client.chat.completions.create({
      model: 'remote',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 4,
    });
    expect(completion.choices[0]?.message.content).to.be.a('string');
    const refused = new OpenAI({
      baseURL: `${router.url}/v1`,
      apiKey: 'sk-router-guess-0000000',
      maxRetries: 0,
    });
    const err = await refused.chat.completions
      .create({ model: 'remote', messages: [{ role: 'user', content: 'hi' }] })
      .catch((e: unknown) => e);
    expect(err).to.be.instanceOf(OpenAI.AuthenticationError);
    expect(upstream.requests).to.have.length(2);
    for (const request of upstream.requests) {
      expect(request.headers.authorization).to.equal('Bearer sk-test');
      expect(JSON.stringify(request.headers)).to.not.include('sk-router');
    }
  });

  it('meters usage and cost per caller (each key sees its own figures without usage:all)', async () => {
    for (const [key, caller] of [
      [SEARCH_KEY, 'search-team'],
      [SUPPORT_KEY, 'support-bot'],
    ] as const) {
      const headers = { authorization: `Bearer ${key}` };
      const usage = (await (await fetch(`${router.url}/api/metrics/usage`, { headers })).json()) as any;
      const callers = Object.fromEntries(usage.callers.map((c: any) => [c.caller, c.requests]));
      expect(callers).to.deep.equal({ [caller]: 1 });
      const cost = (await (await fetch(`${router.url}/api/metrics/cost`, { headers })).json()) as any;
      expect(cost.callers.map((c: any) => c.caller)).to.deep.equal([caller]);
      expect(cost.callers[0].costs[0].amount).to.be.greaterThan(0);
    }
  });

  it('follows the keys file: a rotated key works and the revoked one stops, a broken file changes nothing', async () => {
    const rotated = 'sk-router-support-rotated-0001';
    const status = async (key: string) =>
      (await fetch(`${router.url}/api/models`, { headers: { 'x-api-key': key } })).status;
    // Rewritten as a new file and renamed over the old one, the way a Secret volume swaps its contents.
    const replace = async (text: string) => {
      await writeFile(join(dir, 'keys.next'), text);
      await rename(join(dir, 'keys.next'), join(dir, 'keys'));
    };
    await replace(`support-bot:${rotated}\n`);
    await eventually(
      async () => ((await status(SUPPORT_KEY)) === 401 ? true : undefined),
      'the old key revoked',
    );
    expect(await status(rotated)).to.equal(200);
    expect(await status(SEARCH_KEY)).to.equal(200); // ROUTER_API_KEYS still applies
    await replace('support-bot:short\n');
    await new Promise((r) => setTimeout(r, 2500)); // two reload periods: the broken file was seen and refused
    expect(await status(rotated)).to.equal(200);
    expect(await status(SUPPORT_KEY)).to.equal(401);
  });
});
