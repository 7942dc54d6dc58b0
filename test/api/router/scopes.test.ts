/**
 * Every API route x {no key, a wrong key, a key holding exactly one scope (each scope), a key declared without
 * scopes (the default set)}, against two router replicas sharing one Redis, requests alternating between them.
 * No key and a wrong key are 401; a key without the route's scope is 403 permission_denied naming the scope
 * (OpenAI's permission_error on /v1); a key holding it is neither. The route list comes from apiRoutes(), so
 * a new route without a row here fails the test.
 */
import { expect } from 'chai';
import { pino } from 'pino';
import { apiRoutes } from '../../../api/src/app.js';
import { loadConfig } from '../../../api/src/config.js';
import type { AppDeps } from '../../../api/src/deps.js';
import { DEFAULT_SCOPES, hasScope, SCOPES, type Scope, withImplied } from '../../../api/src/http/scopes.js';
import { deleteKeys, REDIS_URL, requireRedis, uniquePrefix } from '../../support/redis.js';
import { type FakeOpenAI, startFakeOpenAI } from '../support/fake-openai.js';
import { openaiModel, startRouter, type TestRouter } from './harness.js';

interface Row {
  readonly scope: Scope;
  /** The path to call (parameters filled in) and a minimal body. */
  readonly path: string;
  readonly body?: unknown;
}

const chat = { model: 'remote', messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 };

/** The table: every route, the scope it needs and a cheap request. */
const TABLE: Record<string, Row> = {
  'GET /api/models': { scope: 'models:read', path: '/api/models' },
  'GET /api/models/:model_id': { scope: 'models:read', path: '/api/models/remote' },
  'GET /api/models/:model_id/versions': { scope: 'models:read', path: '/api/models/remote/versions' },
  'GET /api/models/:model_id/metrics': { scope: 'usage:own', path: '/api/models/remote/metrics' },
  'POST /api/models/download': {
    scope: 'models:admin',
    path: '/api/models/download',
    body: { model_id: 'remote', wait_seconds: 0 },
  },
  'GET /api/models/:model_id/download': { scope: 'models:admin', path: '/api/models/remote/download' },
  'POST /api/inference/text': {
    scope: 'inference',
    path: '/api/inference/text',
    body: { model_id: 'remote', input: 'hello', parameters: { max_tokens: 4 } },
  },
  'POST /api/inference/analyze': {
    scope: 'inference',
    path: '/api/inference/analyze',
    body: { model_id: 'remote', task: 'embed', input: 'hello' },
  },
  'POST /api/inference/batch': {
    scope: 'batch',
    path: '/api/inference/batch',
    body: { requests: [{ type: 'text', model_id: 'remote', input: 'hello' }] },
  },
  'GET /api/inference/jobs/:job_id': { scope: 'batch', path: '/api/inference/jobs/no-such-job' },
  'DELETE /api/inference/jobs/:job_id': { scope: 'batch', path: '/api/inference/jobs/no-such-job' },
  'POST /api/inference/jobs/:job_id/cancel': {
    scope: 'batch',
    path: '/api/inference/jobs/no-such-job/cancel',
    body: {},
  },
  'GET /api/metrics': { scope: 'usage:own', path: '/api/metrics' },
  'GET /api/metrics/models/:model_id': { scope: 'usage:own', path: '/api/metrics/models/remote' },
  'GET /api/metrics/usage': { scope: 'usage:own', path: '/api/metrics/usage' },
  'GET /api/metrics/cost': { scope: 'usage:own', path: '/api/metrics/cost' },
  'GET /v1/models': { scope: 'models:read', path: '/v1/models' },
  'GET /v1/models/:model_id': { scope: 'models:read', path: '/v1/models/remote' },
  'POST /v1/chat/completions': { scope: 'inference', path: '/v1/chat/completions', body: chat },
  'POST /v1/completions': {
    scope: 'inference',
    path: '/v1/completions',
    body: { model: 'remote', prompt: 'hi', max_tokens: 4 },
  },
  'POST /v1/embeddings': {
    scope: 'inference',
    path: '/v1/embeddings',
    body: { model: 'remote', input: 'hi' },
  },
  'POST /v1/responses': { scope: 'inference', path: '/v1/responses', body: { model: 'remote', input: 'hi' } },
};

const keyOf = (name: string) => `sk-router-${name.replace(':', '-')}-0123456789`;
/** One key per scope, holding exactly that scope, and one declared without scopes. */
const KEYS: { name: string; key: string; scopes: readonly Scope[] }[] = [
  ...SCOPES.map((scope) => ({ name: `only-${scope.replace(':', '-')}`, key: keyOf(scope), scopes: [scope] })),
  { name: 'default', key: keyOf('default'), scopes: DEFAULT_SCOPES },
];
const ROUTER_API_KEYS = KEYS.map((k) =>
  k.name === 'default' ? `${k.name}:${k.key}` : `${k.name}:${k.key}:${k.scopes.join(',')}`,
).join(',');

/** The routes the router serves, as `METHOD path` (the deps are never called while routes are declared). */
function declaredRoutes(): Map<string, Scope> {
  const deps = { config: loadConfig({}), logger: pino({ level: 'silent' }) } as unknown as AppDeps;
  return new Map(apiRoutes(deps).map((r) => [`${r.method.toUpperCase()} ${r.path}`, r.scope]));
}

describe('api/router: every route x every key, on two replicas sharing Redis', function () {
  this.timeout(120_000);
  const prefix = uniquePrefix('scopes');
  let upstream: FakeOpenAI;
  let replicas: TestRouter[] = [];

  before(async function () {
    await requireRedis(this);
    upstream = await startFakeOpenAI();
    const env = {
      REDIS_URL,
      REDIS_KEY_PREFIX: prefix,
      REDIS_TIMEOUT_MS: '2000',
      ROUTER_API_KEYS,
    };
    replicas = await Promise.all([
      startRouter([openaiModel('remote', upstream.baseURL)], env),
      startRouter([openaiModel('remote', upstream.baseURL)], env),
    ]);
  });
  after(async () => {
    await Promise.all(replicas.map((r) => r.close()));
    await upstream?.close();
    await deleteKeys(REDIS_URL, prefix);
  });

  it('has a row for every route the router serves, naming the scope the route declares', () => {
    const declared = declaredRoutes();
    expect([...declared.keys()].sort()).to.deep.equal(Object.keys(TABLE).sort());
    for (const [route, scope] of declared) expect(scope, route).to.equal(TABLE[route]?.scope);
  });

  it('answers 401 without a key or with a wrong one, 403 naming the scope without it, and serves it with it', async () => {
    let turn = 0;
    const call = async (route: string, row: Row, headers: Record<string, string>) => {
      const router = replicas[turn++ % replicas.length] as TestRouter;
      const method = route.slice(0, route.indexOf(' '));
      const res = await fetch(`${router.url}${row.path}`, {
        method,
        headers: { ...(row.body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
        ...(row.body === undefined ? {} : { body: JSON.stringify(row.body) }),
      });
      const text = await res.text();
      return { status: res.status, body: text.startsWith('{') ? JSON.parse(text) : text };
    };
    const problems: string[] = [];
    for (const [route, row] of Object.entries(TABLE)) {
      const openai = row.path.startsWith('/v1/');
      for (const [who, headers] of [
        ['no key', {}],
        ['a wrong key', { authorization: 'Bearer sk-router-guessed-0123456789' }],
      ] as const) {
        const res = await call(route, row, headers);
        if (res.status !== 401) problems.push(`${route} with ${who}: ${res.status}, expected 401`);
      }
      for (const key of KEYS) {
        const res = await call(route, row, { authorization: `Bearer ${key.key}` });
        const holds = hasScope({ caller: key.name, scopes: withImplied(key.scopes) }, row.scope);
        const where = `${route} with ${key.name}`;
        if (holds) {
          if (res.status === 401 || res.status === 403)
            problems.push(`${where}: ${res.status} ${JSON.stringify(res.body)}, expected to be served`);
          continue;
        }
        if (res.status !== 403) {
          problems.push(`${where}: ${res.status}, expected 403`);
          continue;
        }
        const error = res.body.error;
        if (openai ? error.type !== 'permission_error' : error.code !== 'permission_denied')
          problems.push(`${where}: error ${JSON.stringify(error)}`);
        if (error.details?.scope !== row.scope || !String(error.message).includes(row.scope))
          problems.push(`${where}: the 403 does not name ${row.scope}: ${JSON.stringify(error)}`);
      }
    }
    expect(problems).to.deep.equal([]);
    expect(turn).to.equal(Object.keys(TABLE).length * (KEYS.length + 2));
  });

  it('needs batch as well as inference for "async": true, which makes a job only batch can poll', async () => {
    const router = replicas[0] as TestRouter;
    const submit = (name: string) =>
      fetch(`${router.url}/api/inference/text`, {
        method: 'POST',
        headers: { authorization: `Bearer ${keyOf(name)}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model_id: 'remote', input: 'hello', async: true }),
      });
    const refused = await submit('inference');
    const error = ((await refused.json()) as { error: { code: string; details: { scope: string } } }).error;
    expect([refused.status, error.code, error.details.scope]).to.deep.equal([
      403,
      'permission_denied',
      'batch',
    ]);
    const accepted = await submit('default');
    expect(accepted.status).to.equal(202);
    const { status_url } = (await accepted.json()) as { status_url: string };
    const poll = await fetch(`${router.url}${status_url}`, {
      headers: { authorization: `Bearer ${keyOf('default')}` },
    });
    expect(poll.status).to.equal(200);
  });

  it('served the keys that hold inference from the upstream, and never with a caller key', () => {
    expect(upstream.requests.length).to.be.greaterThan(0);
    for (const request of upstream.requests)
      expect(JSON.stringify(request.headers)).to.not.include('sk-router');
  });
});
