/**
 * Local mode, composed: the manifest folder as the catalog, the operator's local target running one
 * runtime process per onnx ModelVersion, in-memory usage and jobs, and the router on top.
 * @module
 */
import { resolve } from 'node:path';
import type { Logger } from 'pino';
import { LocalOperator } from '../../operator/src/local/local-operator.js';
import { ManifestStore } from '../../operator/src/local/manifest-store.js';
import { RuntimeSupervisor } from '../../operator/src/local/supervisor.js';
import { envApiKeyResolver } from './backends/openai-backend.js';
import { StoreCatalog } from './catalog/store-catalog.js';
import { composeRouter } from './compose.js';
import type { Config } from './config.js';
import { createMetrics } from './metrics/registry.js';
import { localReadiness } from './readiness.js';
import { type Listening, listen } from './serve.js';
import { sharedStores } from './stores.js';

/** The runtime's entry module: TypeScript source under tsx, compiled JavaScript under dist/. */
export function runtimeEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return new URL(`../../runtime/src/main${ext}`, import.meta.url).pathname;
}

export type LocalMode = Listening;

export async function startLocalMode(
  config: Config,
  logger: Logger,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<LocalMode> {
  const store = new ManifestStore({
    dir: resolve(config.MODELS_DIR),
    logger: logger.child({ component: 'manifests' }),
  });
  await store.load();
  store.watch();
  const supervisor = new RuntimeSupervisor({
    logger: logger.child({ component: 'supervisor' }),
    entry: runtimeEntry(),
    output: config.LOCAL_RUNTIME_OUTPUT,
    // Runtimes read their store settings (S3_ENDPOINT, AWS_*, MODEL_CACHE_*, DRAIN_*) from this environment.
    env: { ...process.env, ...env },
  });
  const operator = new LocalOperator({
    store,
    supervisor,
    logger: logger.child({ component: 'operator' }),
    host: config.RUNTIME_HOST,
    env,
    maxReplicas: config.LOCAL_MAX_REPLICAS,
    runRuntimes: config.LOCAL_RUNTIMES,
  });
  await operator.start();

  const metrics = createMetrics();
  const catalog = new StoreCatalog(
    store,
    config.LOCAL_RUNTIMES ? (mv) => operator.addresses(mv.metadata.name) : undefined,
  );
  const router = composeRouter({
    config,
    catalog,
    logger,
    apiKeys: envApiKeyResolver(env),
    metrics,
    ...sharedStores(config, logger, metrics),
    readiness: (runtimes) => localReadiness(catalog, runtimes),
  });
  const server = await listen(router.app, config, logger, { mode: 'local', modelsDir: store.dir });
  return {
    ...server,
    async close() {
      await server.close();
      await router.close();
      store.close();
      await operator.stop();
    },
  };
}
