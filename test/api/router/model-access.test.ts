/**
 * Model access end to end: a key's model allow-list on every path that names a model (REST, /v1, batch,
 * downloads) and in listings; the model-operations limit shared by two replicas on Redis; audit lines for
 * model operations and key-file reloads; a scope granted in the keys file taking effect without a restart.
 */
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { pino } from 'pino';
import { loadConfig } from '../../../api/src/config.js';
import { type LocalMode, startLocalMode } from '../../../api/src/local-mode.js';
import { eventually } from '../../support/eventually.js';
import { deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../../support/redis.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { openaiModel } from './harness.js';

const ALICE = 'sk-router-alice-0123456789'; // inference on remote and gpt-* only, plus models:admin
const BOB = 'sk-router-bob-0123456789'; // the default scopes, every model
const OPS = 'sk-router-ops-0123456789'; // models:admin, every model

type Replica = LocalMode;

/** One router replica in local mode in this process, its log lines collected in `lines`. */
async function replica(dir: string, env: Record<string, string>, lines: Record<string, unknown>[]) {
  const sink = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const config = loadConfig({ MODELS_DIR: dir, PORT: '0', ATTEMPT_TIMEOUT_MS: '500', ...env });
  const local = await startLocalMode(config, pino({ level: 'info' }, sink), { TEST_KEY: 'sk-test', ...env });
  await eventually(
    async () => ((await fetch(`${local.url}/readyz`)).status === 200 ? true : undefined),
    'router ready',
  );
  return local;
}

async function call(replica: Replica, method: string, path: string, key: string, body?: unknown) {
  const res = await fetch(`${replica.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${key}`,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text.startsWith('{') ? JSON.parse(text) : text };
}

describe('api/router: model allow-lists, the model-operations limit and audit lines', function () {
  this.timeout(60_000);
  const prefix = uniquePrefix('model-access');
  const lines: Record<string, unknown>[] = [];
  let upstream: FakeOpenAI;
  let dir: string;
  let one: Replica;
  let two: Replica;

  before(async function () {
    await requireRedis(this);
    upstream = await startFakeOpenAI();
    dir = await mkdtemp(join(tmpdir(), 'model-access-'));
    await writeFile(
      join(dir, 'models.yaml'),
      [
        openaiModel('remote', upstream.baseURL, '  fallbacks: [secret-model]'),
        openaiModel('secret-model', upstream.baseURL),
      ].join('\n---\n'),
    );
    await writeFile(join(dir, 'keys'), `bob:${BOB}\nops:${OPS}:models:admin\n`);
    const env = {
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      REDIS_TIMEOUT_MS: '2000',
      ROUTER_API_KEYS: `alice:${ALICE}:inference,batch,models:read,models:admin,models=remote|gpt-*`,
      ROUTER_API_KEYS_FILE: join(dir, 'keys'),
      ROUTER_API_KEYS_RELOAD_SECONDS: '1',
      RATE_LIMIT_WINDOW_SECONDS: '3600',
    };
    [one, two] = await Promise.all([replica(dir, env, lines), replica(dir, env, [])]);
  });
  after(async () => {
    await Promise.all([one?.close(), two?.close()]);
    await upstream?.close();
    await deleteKeys(REDIS_URL, prefix);
    await rm(dir, { recursive: true, force: true });
  });

  const audits = () => lines.filter((l) => l.audit === true);

  it('refuses a model outside the allow-list with 403 naming it, on REST, /v1, batch and async submits', async () => {
    const calls = upstream.requests.length;
    const chat = { messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 };
    for (const [path, body] of [
      ['/api/inference/text', { model_id: 'secret-model', input: 'hi' }],
      ['/api/inference/text', { model_id: 'secret-model', input: 'hi', async: true }],
      ['/api/inference/analyze', { model_id: 'secret-model', task: 'embed', input: 'hi' }],
    ] as const) {
      const res = await call(one, 'POST', path, ALICE, body);
      expect(res.status, path).to.equal(403);
      expect(res.body.error.code).to.equal('permission_denied');
      expect(res.body.error.details.model_id).to.equal('secret-model');
      expect(res.body.error.message).to.include('secret-model');
    }
    for (const [path, body] of [
      ['/v1/chat/completions', { model: 'secret-model', ...chat }],
      ['/v1/chat/completions', { model: 'secret-model', ...chat, stream: true }],
      ['/v1/completions', { model: 'secret-model', prompt: 'hi' }],
      ['/v1/embeddings', { model: 'secret-model', input: 'hi' }],
      ['/v1/responses', { model: 'secret-model', input: 'hi' }],
    ] as const) {
      const res = await call(two, 'POST', path, ALICE, body);
      expect(res.status, path).to.equal(403);
      expect(res.body.error).to.include({
        type: 'permission_error',
        code: 'permission_denied',
        param: 'model',
      });
      expect(res.body.error.message).to.include('secret-model');
    }
    const batch = await call(one, 'POST', '/api/inference/batch', ALICE, {
      requests: [
        { type: 'text', model_id: 'remote', input: 'fine' },
        { type: 'chat', model_id: 'secret-model', messages: [{ role: 'user', content: 'hi' }] },
      ],
    });
    expect(batch.status).to.equal(403);
    expect(batch.body.error.details).to.include({ item: 1, model_id: 'secret-model' });
    expect(batch.body.error.message).to.include('batch item 1');
    expect(upstream.requests.length).to.equal(calls);
  });

  it('serves the models on the list, and may fall back beyond it (the chain is the model owner’s choice)', async () => {
    const ok = await call(one, 'POST', '/v1/chat/completions', ALICE, {
      model: 'remote',
      messages: [{ role: 'user', content: 'hi' }],
    });
    expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    upstream.respond = (_path, body) =>
      body.model === 'upstream-remote' ? { status: 500, json: { error: { message: 'down' } } } : undefined;
    const fell = await call(two, 'POST', '/api/inference/text', ALICE, {
      model_id: 'remote',
      input: 'hello',
      parameters: { max_tokens: 4 },
    });
    expect(fell.status, JSON.stringify(fell.body, null, 1)).to.equal(200);
    expect(fell.body).to.include({ model_id: 'secret-model', fallback_used: true });
    upstream.respond = undefined;
  });

  it('lists only allowed models and answers one outside the list as unknown', async () => {
    const listed = await call(one, 'GET', '/api/models', ALICE);
    expect(listed.body.models.map((m: { id: string }) => m.id)).to.deep.equal(['remote']);
    expect(listed.body.total).to.equal(1);
    const v1 = await call(two, 'GET', '/v1/models', ALICE);
    expect(v1.body.data.map((m: { id: string }) => m.id)).to.deep.equal(['remote']);
    for (const path of [
      '/api/models/secret-model',
      '/api/models/secret-model/versions',
      '/v1/models/secret-model',
    ]) {
      const hidden = await call(one, 'GET', path, ALICE);
      const unknown = await call(one, 'GET', path.replace('secret-model', 'no-such-model'), ALICE);
      expect(hidden.status, path).to.equal(404);
      expect(hidden.body.error.code).to.equal(unknown.body.error.code);
    }
    const everyone = await call(one, 'GET', '/api/models', BOB);
    expect(everyone.body.total).to.equal(2);
  });

  it('refuses a download of a model outside the list, and audits model operations and refusals', async () => {
    const refused = await call(one, 'POST', '/api/models/download', ALICE, { model_id: 'secret-model' });
    expect(refused.status).to.equal(403);
    expect(refused.body.error.details.model_id).to.equal('secret-model');
    const progress = await call(two, 'GET', '/api/models/secret-model/download', ALICE);
    expect(progress.status).to.equal(403);
    const failed = await call(one, 'POST', '/api/models/download', OPS, {
      model_id: 'remote',
      version: 'v9',
    });
    expect(failed.status).to.equal(409); // an openai model has no artifact
    const denied = await call(one, 'POST', '/api/models/download', BOB, { model_id: 'remote' });
    expect(denied.status).to.equal(403);
    expect(denied.body.error.details.scope).to.equal('models:admin');
    const download = audits().filter((l) => l.action === 'model.download');
    expect(download.map((l) => [l.caller, l.target, l.outcome])).to.deep.equal([
      ['alice', 'secret-model', 'refused'],
      ['ops', 'remote/v9', 'FAILED'],
      ['bob', undefined, 'refused'],
    ]);
    expect(download[1]).to.include({ code: 'no_artifact', status: 409 });
    expect(download[2]).to.include({ code: 'permission_denied', route: 'POST /api/models/download' });
  });

  it('limits model operations per caller across replicas, with ROUTER_RATE_LIMITS unset (the 1,984 reloads)', async () => {
    // ops has used one operation above; the limit is 10 per window, shared through Redis.
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await call(i % 2 ? two : one, 'POST', '/api/models/download', OPS, { model_id: 'remote' });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.body.error.code).to.equal('rate_limited');
        expect(res.body.error.details).to.include({ caller: 'ops', limit: 10 });
        expect(Number(res.headers.get('retry-after'))).to.be.within(1, 2 * 3600);
      }
    }
    expect(statuses).to.deep.equal([...Array(9).fill(409), 429, 429]);
    // Other callers keep their own count; ordinary work is not limited by it.
    expect((await call(one, 'POST', '/api/models/download', ALICE, { model_id: 'remote' })).status).to.equal(
      409,
    );
    // models:admin holds models:read, and only it sees an upstream's base URL.
    const asOps = await call(two, 'GET', '/api/models/remote', OPS);
    expect(asOps.status).to.equal(200);
    expect(asOps.body.base_url).to.be.a('string');
    const asBob = await call(one, 'GET', '/api/models/remote', BOB);
    expect(asBob.status).to.equal(200);
    expect(asBob.body).to.not.have.property('base_url');
    const listed = await call(one, 'GET', '/api/models', BOB);
    expect(JSON.stringify(listed.body)).to.not.include('127.0.0.1');
    const limited = audits().filter((l) => l.action === 'model.download' && l.code === 'rate_limited');
    expect(limited.length).to.be.greaterThan(0);
  });

  it('follows the keys file: a scope granted there works without a restart, and each reload is audited', async () => {
    const replace = async (text: string) => {
      await writeFile(join(dir, 'keys.next'), text);
      await rename(join(dir, 'keys.next'), join(dir, 'keys'));
    };
    expect((await call(one, 'GET', '/api/models/remote/download', BOB)).status).to.equal(403);
    await replace(`bob:${BOB}:models:read,models:admin\nops:${OPS}:models:admin\n`);
    await eventually(
      async () =>
        (await call(one, 'GET', '/api/models/remote/download', BOB)).status === 409 ? true : undefined,
      'the granted scope in force',
    );
    expect((await call(one, 'GET', '/api/metrics/usage', BOB)).status).to.equal(403);
    await replace('bob:short\n');
    await eventually(
      async () => (audits().some((l) => l.outcome === 'rejected') ? true : undefined),
      'the broken file audited',
    );
    expect((await call(one, 'GET', '/api/models/remote/download', BOB)).status).to.equal(409);
    const reloads = audits().filter((l) => l.action === 'keys.reload');
    expect(reloads[0]).to.include({ caller: 'router', outcome: 'applied', keys: 3, callers: 3 });
    expect(reloads.at(-1)).to.include({ outcome: 'rejected', target: join(dir, 'keys') });
    for (const line of audits()) expect(JSON.stringify(line)).to.not.match(/sk-router|short/);
  });
});
