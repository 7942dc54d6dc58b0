/**
 * The response cache and a runtime model that samples by default (generation_config.json do_sample, as most
 * Instruct exports ship): the request looks greedy, the runtime says it sampled, and the answer is not cached
 * unless the caller forces it (x-router-cache: force). The in-memory cache of local mode.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import { BUILD, onnxModel, startRouter, type TestRouter } from './harness.js';

describe('api/router: answers a runtime sampled by generation_config.json are not cached', function () {
  this.timeout(90_000);
  let root: string;
  let router: TestRouter;
  let n = 0;

  /** A chat no earlier test has asked. */
  const chat = (extra: Record<string, unknown> = {}) => ({
    model: 'writer',
    max_tokens: 4,
    messages: [{ role: 'user', content: `Tell a story ${n++}` }],
    ...extra,
  });
  const cacheOf = async (body: unknown, headers: Record<string, string> = {}) => {
    const res = await router.post('/v1/chat/completions', body, headers);
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.headers.get('x-cache');
  };
  const streamCacheOf = async (body: unknown) => {
    const res = await fetch(`${router.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...(body as object), stream: true }),
    });
    expect(await res.text()).to.include('data: [DONE]');
    return res.headers.get('x-cache');
  };

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'router-do-sample-'));
    const dir = join(root, 'story-writer');
    await cp(join(BUILD, 'story-writer-v2'), dir, { recursive: true });
    const file = join(dir, 'generation_config.json');
    const config = JSON.parse(await readFile(file, 'utf8'));
    await writeFile(file, JSON.stringify({ ...config, do_sample: true, temperature: 1.5 }));
    router = await startRouter([onnxModel('writer', relative(BUILD, dir), ['v1'])]);
  });
  after(async () => {
    await router?.close();
    await rm(root, { recursive: true, force: true });
  });

  it('the same request without temperature twice: MISS both times', async () => {
    const body = chat();
    expect([await cacheOf(body), await cacheOf(body)]).to.deep.equal(['MISS', 'MISS']);
  });

  it('streamed: MISS both times', async () => {
    const body = chat();
    expect([await streamCacheOf(body), await streamCacheOf(body)]).to.deep.equal(['MISS', 'MISS']);
  });

  it('with x-router-cache: force, the second is a HIT', async () => {
    const body = chat();
    const force = { 'x-router-cache': 'force' };
    expect([await cacheOf(body, force), await cacheOf(body, force)]).to.deep.equal(['MISS', 'HIT']);
  });

  it('temperature 0 is greedy on this model too: cached', async () => {
    const body = chat({ temperature: 0 });
    expect([await cacheOf(body), await cacheOf(body)]).to.deep.equal(['MISS', 'HIT']);
  });
});
