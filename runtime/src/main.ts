/**
 * Runtime entry point: `node --import tsx runtime/src/main.ts` (or `node dist/runtime/src/main.js`).
 *
 * Order matters: bind first, so health checks answer NOT_SERVING while the model is fetched and loaded; then
 * load; on SIGTERM/SIGINT turn NOT_SERVING, keep serving for DRAIN_DELAY_SECONDS, refuse new work, let
 * in-flight requests finish for up to DRAIN_GRACE_SECONDS, and exit 0. Start-up failures are logged, written
 * to the termination message, sent over IPC when forked, and exit with a code per reason.
 * @module
 */
import { handleArgs } from './cli.js';
import { loadConfig, type RuntimeConfig } from './config.js';
import {
  EXIT_CODES,
  type FailureReason,
  failureReason,
  sendToParent,
  writeTerminationMessage,
} from './lifecycle.js';
import { createLogger } from './logger.js';
import { RuntimeMetrics } from './metrics.js';
import { type RunningHttpServer, startHttpServer } from './server/http.js';
import { RuntimeServer } from './server/server.js';
import { runtimeUsage } from './usage.js';

const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';

async function failStartup(reason: FailureReason, message: string, terminationPath: string): Promise<never> {
  writeTerminationMessage(terminationPath, `${reason}: ${message}`);
  await sendToParent({ type: 'failed', reason, message });
  process.exit(EXIT_CODES[reason]);
}

async function start(): Promise<void> {
  let config: RuntimeConfig;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    // No logger yet (LOG_LEVEL may be the bad variable): one JSON line on stderr, like pino would write.
    const message = (error as Error).message;
    process.stderr.write(`${JSON.stringify({ level: 50, time: new Date().toISOString(), msg: message })}\n`);
    const path = process.env.TERMINATION_MESSAGE_PATH || DEFAULT_TERMINATION_MESSAGE_PATH;
    return failStartup(failureReason(error), message, path);
  }
  const logger = createLogger(config);
  const metrics = new RuntimeMetrics({
    defaultMetrics: true,
    served: { model: config.modelName, version: config.modelVersion },
  });
  const server = new RuntimeServer({ config, logger, metrics });
  let http: RunningHttpServer | undefined;
  // Fetch progress for a forking parent (local mode); file:// artifacts have nothing to report.
  server.manager.on('download', (status) => {
    if (status.state !== 'local') void sendToParent({ type: 'download', ...status });
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      logger.warn({ signal }, 'Second signal, exiting without waiting');
      process.exit(1);
    }
    stopping = true;
    logger.info({ signal }, 'Shutting down');
    server
      .shutdown(config.drain.graceMs, config.drain.delayMs)
      .then(() => http?.close())
      .then(
        () => process.exit(EXIT_CODES.ok),
        (error: unknown) => {
          logger.error({ err: error }, 'Shutdown failed');
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // A forked runtime whose parent went away would otherwise live on as an orphan holding its port.
  if (process.send) process.on('disconnect', () => stop('disconnect'));

  let port: number;
  try {
    port = await server.listen();
  } catch (error) {
    logger.error({ err: error }, 'Cannot bind the gRPC port');
    return failStartup('BindFailed', (error as Error).message, config.terminationMessagePath);
  }
  await sendToParent({ type: 'listening', port });
  try {
    http = await startHttpServer({ ...config.metrics, metrics: server.metrics, manager: server.manager });
    logger.info({ port: http.port }, 'Metrics and probes listening');
    await sendToParent({ type: 'metrics', port: http.port });
  } catch (error) {
    // Metrics are for watching the runtime, not for serving: a taken port (several forked runtimes on one
    // machine with the default port) costs the scrape, never the model.
    logger.warn(
      { err: error, port: config.metrics.port },
      'Cannot bind the metrics port; serving without /metrics',
    );
  }

  try {
    await server.load();
  } catch (error) {
    if (stopping) return;
    const reason = failureReason(error);
    logger.error({ err: error, reason }, 'Cannot load the model');
    return failStartup(reason, (error as Error).message, config.terminationMessagePath);
  }
  await sendToParent({ type: 'ready' });
  logger.info('Ready');
}

handleArgs('paissive-runtime', runtimeUsage);
await start();
