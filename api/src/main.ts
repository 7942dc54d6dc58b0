/**
 * The router process. `make run` starts it in local mode: YAML from examples/ (MODELS_DIR), runtimes as
 * child processes, in-memory cache, usage and jobs, http://127.0.0.1:8080 (PORT). In a cluster
 * (CATALOG=kubernetes) it serves the models of its namespace from the Kubernetes API.
 * @module
 */

import { handleArgs } from '../../runtime/src/cli.js';
import { startClusterMode } from './cluster-mode.js';
import { ConfigError, loadConfig } from './config.js';
import { startLocalMode } from './local-mode.js';
import { createLogger } from './logger.js';
import { routerUsage } from './usage.js';

async function main(): Promise<void> {
  handleArgs('paissive-router', routerUsage);
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.LOG_LEVEL);
  const local =
    config.CATALOG === 'kubernetes'
      ? await startClusterMode(config, logger)
      : await startLocalMode(config, logger);
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'Shutting down');
    local.close().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.error({ err }, 'Shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(
    `router failed to start: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
