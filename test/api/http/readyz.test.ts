/**
 * /readyz is quiet: anyone (a kubelet probe sends no key) learns whether the router is ready and why not, and
 * only a key holding models:admin sees the per-runtime checks with their addresses. With no keys declared
 * (local mode) the router stays open: the checks go to anyone, and every route serves without a key.
 */
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { envApiKeyResolver } from '../../../api/src/backends/openai-backend.js';
import { StoreCatalog } from '../../../api/src/catalog/store-catalog.js';
import { composeRouter } from '../../../api/src/compose.js';
import { loadConfig } from '../../../api/src/config.js';
import type { ReadinessReport } from '../../../api/src/deps.js';
import { createMetrics } from '../../../api/src/metrics/registry.js';
import { readinessSummary } from '../../../api/src/readiness.js';
import { ManifestStore } from '../../../operator/src/local/manifest-store.js';

const ADMIN = 'sk-router-admin-0123456789';
const PLAIN = 'sk-router-plain-0123456789';

const NOT_READY: ReadinessReport = {
  ready: false,
  checks: {
    catalog: { ok: true, message: 'loaded' },
    'runtime:story-writer-v1': { ok: false, message: 'not ready at 10.0.3.17:9000' },
    'runtime:story-writer-v2': { ok: true, message: 'ready at 10.0.3.18:9000' },
    'runtime:sentiment-v1': { ok: false, message: 'starting' },
  },
};

async function serve(dir: string, env: Record<string, string>, report: ReadinessReport) {
  const logger = pino({ level: 'silent' });
  const config = loadConfig({ MODELS_DIR: dir, PORT: '0', ...env });
  const store = new ManifestStore({ dir, logger });
  await store.load();
  const router = composeRouter({
    config,
    catalog: new StoreCatalog(store),
    logger,
    apiKeys: envApiKeyResolver({}),
    metrics: createMetrics({ defaultMetrics: false }),
    readiness: () => async () => report,
  });
  const server = createServer(router.app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    async get(path: string, key?: string) {
      const res = await fetch(`${url}${path}`, key ? { headers: { authorization: `Bearer ${key}` } } : {});
      return { status: res.status, text: await res.text() };
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await router.close();
      store.close();
    },
  };
}

describe('api/readyz: ready or not for anyone, the checks for models:admin', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'readyz-'));
    await writeFile(join(dir, 'none.yaml'), '');
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('summarises a report without a single address (pure)', () => {
    expect(readinessSummary(NOT_READY)).to.deep.equal({ ready: false, reason: '2 of 3 runtimes not ready' });
    expect(readinessSummary({ ready: true, checks: NOT_READY.checks })).to.deep.equal({ ready: true });
    expect(
      readinessSummary({ ready: false, checks: { catalog: { ok: false, message: 'not loaded yet' } } }),
    ).to.deep.equal({ ready: false, reason: 'catalog not ready' });
  });

  it('answers a probe without a key, and any key without models:admin, with ready and a reason only', async () => {
    const router = await serve(
      dir,
      {
        ROUTER_API_KEYS: `admin:${ADMIN}:models:admin,plain:${PLAIN},ops:sk-router-ops-0123456789:usage:all`,
      },
      NOT_READY,
    );
    try {
      for (const key of [undefined, PLAIN, 'sk-router-ops-0123456789', 'sk-router-unknown-0123456789']) {
        const res = await router.get('/readyz', key);
        expect(res.status, String(key)).to.equal(503);
        expect(JSON.parse(res.text)).to.deep.equal({ ready: false, reason: '2 of 3 runtimes not ready' });
        expect(res.text).to.not.match(/10\.0\.3\./);
      }
      const admin = await router.get('/readyz', ADMIN);
      expect(admin.status).to.equal(503);
      expect(JSON.parse(admin.text)).to.deep.equal(NOT_READY);
    } finally {
      await router.close();
    }
  });

  it('stays open with no keys declared: the checks for anyone and every route without a key', async () => {
    const router = await serve(dir, {}, NOT_READY);
    try {
      expect(JSON.parse((await router.get('/readyz')).text)).to.deep.equal(NOT_READY);
      expect((await router.get('/api/models')).status).to.equal(200);
      expect((await router.get('/api/metrics/usage')).status).to.equal(200);
      // models:admin too: the download progress of an unknown model is a 404, not a 401 or 403.
      expect((await router.get('/api/models/nothing/download')).status).to.equal(404);
    } finally {
      await router.close();
    }
  });
});
