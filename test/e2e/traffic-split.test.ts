/**
 * End to end in local mode: an AIModel whose spec.traffic splits 80/20 across two versions (two
 * ModelVersions of the same ONNX artifact, each its own runtime process), answered by real runtimes; then
 * the same model edited to be sticky by caller (local mode reloads the YAML), where one API key always lands
 * on one version.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { type RouterProcess, spawnRouter } from '../support/router-process.js';
import { eventually, ROOT } from './local-router.js';

const CALLERS = ['ana', 'ben', 'cho', 'dev', 'eli', 'fay', 'gus', 'hal'];
const keyOf = (caller: string) => `sk-router-${caller}-0123456789`;

/** The sentiment example's artifact and digest, as two versions of one model; `extra` is added to its spec. */
async function writeSplitModel(dir: string, extra = ''): Promise<void> {
  const example = await readFile(join(ROOT, 'examples/sentiment.yaml'), 'utf8');
  const sha256 = /sha256: "([0-9a-f]{64})"/.exec(example)?.[1];
  if (!sha256) throw new Error('examples/sentiment.yaml has no sha256');
  const uri = pathToFileURL(join(ROOT, 'models/build/sentiment-v1')).href;
  const model = (name: string, extra: string) => `
apiVersion: ai.paissive.io/v1alpha1
kind: AIModel
metadata: {name: ${name}}
spec:
  provider: onnx
  capabilities: [text-classification]
  cache: {ttlSeconds: 0}
${extra}
`;
  const version = (model: string, v: string) => `---
apiVersion: ai.paissive.io/v1alpha1
kind: ModelVersion
metadata: {name: ${model}-${v}}
spec:
  model: ${model}
  version: ${v}
  default: ${v === 'v1'}
  artifact: {uri: '${uri}', sha256: "${sha256}"}
  replicas: 1
  resources: {cpu: 250m, memory: 512Mi}
`;
  const traffic = '  traffic: [{version: v1, weight: 80}, {version: v2, weight: 20}]';
  await writeFile(
    join(dir, 'split.yaml'),
    model('split', extra ? `${traffic}\n${extra}` : traffic) +
      version('split', 'v1') +
      version('split', 'v2'),
  );
}

describe('e2e: weighted traffic between versions in local mode', function () {
  this.timeout(240_000);
  let router: RouterProcess;
  let dir: string;

  const call = async (path: string, caller: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetch(`${router.url}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${keyOf(caller)}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: res.status,
      version: res.headers.get('x-model-version'),
      body: (await res.json()) as any,
    };
  };
  const classify = (caller: string, headers: Record<string, string> = {}) =>
    call(
      '/api/inference/analyze',
      caller,
      { model_id: 'split', task: 'classify', input: ['a fine film'] },
      headers,
    );
  /** Rewrites the model with this stickiness (local mode reloads the folder) and waits until it is served. */
  const stick = async (yaml: string, expected: unknown) => {
    await writeSplitModel(dir, `  trafficStickiness: ${yaml}`);
    await eventually(async () => {
      const { body } = await call('/api/models/split', 'ana');
      return JSON.stringify(body.traffic?.sticky) === JSON.stringify(expected) && body.versions_ready === 2
        ? true
        : undefined;
    }, `stickiness ${yaml}`);
  };
  /** The versions that served each key's requests, over `rounds` rounds of one request per (key, caller). */
  const versionsByKey = async (
    keys: readonly string[],
    send: (key: string) => ReturnType<typeof classify>,
  ) => {
    const seen = new Map<string, Set<string | null>>(keys.map((k) => [k, new Set()]));
    for (let round = 0; round < 10; round++) {
      const replies = await Promise.all(keys.map(send));
      replies.forEach((r, i) => {
        expect(r.status, JSON.stringify(r.body)).to.equal(200);
        seen.get(keys[i] as string)?.add(r.version);
      });
    }
    return Object.fromEntries([...seen].map(([k, versions]) => [k, [...versions]]));
  };

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'traffic-split-'));
    await writeSplitModel(dir);
    router = await spawnRouter({
      MODELS_DIR: dir,
      LOCAL_RUNTIME_OUTPUT: 'ignore',
      OPENAI_API_KEY: '',
      ROUTER_API_KEYS: CALLERS.map((c) => `${c}:${keyOf(c)}`).join(','),
    });
    // Both versions ready: the effective split is the configured one only then (slow on a busy machine).
    await eventually(
      async () => ((await call('/api/models/split', 'ana')).body.versions_ready === 2 ? true : undefined),
      'both versions ready',
      90_000,
    );
  });
  after(async () => {
    await router?.stop('SIGINT');
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('GET /api/models/{id} shows the configured and the effective split', async () => {
    const { body } = await call('/api/models/split', 'ana');
    expect(body.traffic).to.deep.equal({
      configured: [
        { version: 'v1', weight: 80 },
        { version: 'v2', weight: 20 },
      ],
      effective: [
        { version: 'v1', weight: 80 },
        { version: 'v2', weight: 20 },
      ],
    });
  });

  // 300 draws at p = 0.2: mean 60, sd = sqrt(300 * 0.2 * 0.8) = 6.93; 3 sd = 20.8 requests (7 points).
  it('300 requests naming no version split 80/20 within 3 sd (v2: 60 +- 20.8)', async () => {
    const counts: Record<string, number> = {};
    for (let batch = 0; batch < 30; batch++) {
      const replies = await Promise.all(Array.from({ length: 10 }, () => classify('ana')));
      for (const r of replies) {
        expect(r.status, JSON.stringify(r.body)).to.equal(200);
        counts[r.version ?? 'none'] = (counts[r.version ?? 'none'] ?? 0) + 1;
      }
    }
    console.log(`      split 80/20 over 300 requests: ${JSON.stringify(counts)}`);
    expect(Object.keys(counts).sort()).to.deep.equal(['v1', 'v2']);
    expect(Math.abs((counts.v2 ?? 0) - 60)).to.be.at.most(20.8);
  });

  it('a request naming a version is unaffected by the split', async () => {
    const replies = await Promise.all(
      Array.from({ length: 10 }, () =>
        call('/api/inference/analyze', 'ana', {
          model_id: 'split',
          version: 'v2',
          task: 'classify',
          input: ['ok'],
        }),
      ),
    );
    expect(replies.map((r) => r.version)).to.deep.equal(Array(10).fill('v2'));
  });

  it('sticky by caller: each caller gets one version on every request, and the callers spread over both', async () => {
    await stick('{by: caller}', { by: 'caller' });
    const assigned = await versionsByKey(CALLERS, (caller) => classify(caller));
    console.log(`      sticky by caller at 80/20, 10 requests per caller: ${JSON.stringify(assigned)}`);
    for (const versions of Object.values(assigned)) expect(versions).to.have.length(1);
    expect(new Set(Object.values(assigned).flat())).to.deep.equal(new Set(['v1', 'v2']));
  });

  it('sticky by a named header: one X-Session value gets one version whichever key sends it', async () => {
    await stick('{by: header, header: X-Session}', { by: 'header', header: 'X-Session' });
    const sessions = Array.from({ length: 12 }, (_, i) => `session-${i}`);
    // Each round, a different caller sends each session: the header decides, not the key.
    let round = 0;
    const assigned = await versionsByKey(sessions, (session) =>
      classify(CALLERS[round++ % CALLERS.length] as string, { 'x-session': session }),
    );
    console.log(`      sticky by X-Session at 80/20, 10 requests per session: ${JSON.stringify(assigned)}`);
    for (const versions of Object.values(assigned)) expect(versions).to.have.length(1);
    expect(new Set(Object.values(assigned).flat())).to.deep.equal(new Set(['v1', 'v2']));
  });
});
