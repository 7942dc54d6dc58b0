/**
 * Cluster mode, composed: the catalog from the Kubernetes API (AIModels, ModelVersions and the runtime
 * EndpointSlices of one namespace), API keys from Secrets, cache and usage in Redis when REDIS_URL is set,
 * and the router on top. Any number of replicas run side by side.
 * @module
 */
import type { Logger } from 'pino';
import { KubeApi } from '../../kube/src/api.js';
import { KubeClient } from '../../kube/src/client.js';
import { KubeCatalog } from './catalog/kube-catalog.js';
import { composeRouter } from './compose.js';
import type { Config } from './config.js';
import { createMetrics } from './metrics/registry.js';
import { SecretKeys } from './secret-keys.js';
import { type Listening, listen } from './serve.js';
import { sharedStores } from './stores.js';

export async function startClusterMode(
  config: Config,
  logger: Logger,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<Listening> {
  const namespace = config.WATCH_NAMESPACE ?? env.POD_NAMESPACE ?? 'default';
  const client = KubeClient.load(config.KUBECONFIG);
  const api = new KubeApi(client, 'paissive-router');
  const catalog = new KubeCatalog({ api, namespace, logger: logger.child({ component: 'catalog' }) });
  await catalog.start();
  const keys = new SecretKeys(api, namespace, catalog, logger.child({ component: 'secrets' }));
  await keys.start();
  const metrics = createMetrics();
  const router = composeRouter({
    config,
    catalog,
    logger,
    apiKeys: keys.resolve,
    metrics,
    ...sharedStores(config, logger, metrics),
    // Ready once the catalog is loaded: runtimes come and go behind the fallback chain, and the cache and
    // usage stores degrade without failing requests, so neither holds the router back.
    readiness: () => async () => ({
      ready: catalog.loaded,
      checks: {
        catalog: { ok: catalog.loaded, message: catalog.loaded ? `watching ${namespace}` : 'loading' },
      },
    }),
  });
  const server = await listen(router.app, config, logger, { mode: 'cluster', namespace });
  return {
    ...server,
    async close() {
      await server.close();
      await router.close();
      keys.stop();
      catalog.stop();
      client.close();
    },
  };
}
