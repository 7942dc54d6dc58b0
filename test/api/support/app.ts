/**
 * Builds the router around real components (manifest store, runtime gRPC backend, OpenAI backend,
 * in-memory usage and jobs) the way local mode does, and serves it on a loopback port.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { envApiKeyResolver } from '../../../api/src/backends/openai-backend.js';
import { StoreCatalog } from '../../../api/src/catalog/store-catalog.js';
import { composeRouter } from '../../../api/src/compose.js';
import { type Config, loadConfig } from '../../../api/src/config.js';
import { createMetrics } from '../../../api/src/metrics/registry.js';
import { localReadiness } from '../../../api/src/readiness.js';
import { ManifestStore } from '../../../operator/src/local/manifest-store.js';

export interface TestRouter {
  readonly url: string;
  readonly store: ManifestStore;
  readonly config: Config;
  close(): Promise<void>;
}

export async function startTestRouter(
  modelsDir: string,
  env: Record<string, string> = {},
  keys: Record<string, string> = {},
): Promise<TestRouter> {
  const logger = pino({ level: 'silent' });
  const config = loadConfig({ MODELS_DIR: modelsDir, PORT: '0', ...env });
  const store = new ManifestStore({ dir: modelsDir, logger });
  await store.load();
  const catalog = new StoreCatalog(store);
  const router = composeRouter({
    config,
    catalog,
    logger,
    apiKeys: envApiKeyResolver(keys),
    metrics: createMetrics({ defaultMetrics: false }),
    readiness: (runtimes) => localReadiness(catalog, runtimes),
  });
  const server = createServer(router.app).listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    store,
    config,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await router.close();
      store.close();
    },
  };
}
