/**
 * The operator process (`make operator`, or the chart's Deployment): caches fill on every replica, only the
 * leader reconciles; SIGTERM finishes the passes in flight and hands the lease over.
 * @module
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { parse } from 'yaml';
import { FIELD_MANAGER } from '../../crds/src/labels.js';
import { KubeApi } from '../../kube/src/api.js';
import { KubeClient } from '../../kube/src/client.js';
import { EventRecorder } from '../../kube/src/events.js';
import { LeaderElector } from '../../kube/src/leader.js';
import { handleArgs } from '../../runtime/src/cli.js';
import { loadProcessConfig } from './config.js';
import { ControllerManager } from './kube/manager.js';
import { parseOperatorConfig } from './kube/operator-config.js';
import { createOperatorMetrics } from './metrics.js';
import { operatorUsage } from './usage.js';

async function main(): Promise<void> {
  handleArgs('paissive-operator', operatorUsage);
  const env = loadProcessConfig(process.env);
  const logger = pino({
    level: env.LOG_LEVEL,
    base: { service: 'operator', pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
  const settings = parseOperatorConfig(
    env.OPERATOR_CONFIG ? parse(readFileSync(env.OPERATOR_CONFIG, 'utf8')) : {},
    process.env,
  );
  const metrics = createOperatorMetrics();
  const client = KubeClient.load(env.KUBECONFIG);
  client.observe((verb, resource, status) =>
    metrics.kubeRequests.inc({ verb, resource, code: String(status) }),
  );
  const api = new KubeApi(client, FIELD_MANAGER);
  const manager = new ControllerManager({
    api,
    config: settings,
    events: new EventRecorder(api, FIELD_MANAGER, env.identity, logger),
    logger,
    metrics,
    namespace: env.WATCH_NAMESPACE,
    workers: env.WORKERS,
    resyncSeconds: env.RESYNC_SECONDS,
  });

  let synced = false;
  const server = createServer((req, res) => {
    if (req.url === '/metrics') {
      void metrics.registry.metrics().then((text) => {
        res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text);
      });
    } else if (req.url === '/healthz') res.writeHead(200).end('ok');
    else if (req.url === '/readyz')
      res.writeHead(synced ? 200 : 503).end(synced ? 'ok' : 'caches not synced');
    else res.writeHead(404).end();
  });
  server.listen(env.METRICS_PORT, env.METRICS_HOST);
  await new Promise((resolve) => server.once('listening', resolve));
  logger.info({ port: (server.address() as AddressInfo).port, identity: env.identity }, 'Operator listening');

  await manager.sync();
  synced = true;
  logger.info({ namespace: env.WATCH_NAMESPACE ?? '(all)' }, 'Caches synced');

  const lead = (): void => {
    metrics.leader.set(1);
    manager.run();
  };
  const elector = env.LEADER_ELECTION
    ? new LeaderElector({
        api,
        namespace: env.leaseNamespace,
        name: env.LEASE_NAME,
        identity: env.identity,
        logger,
        onStartedLeading: lead,
        // Like client-go: a replica that lost the lease restarts rather than reconciling on stale assumptions.
        onStoppedLeading: () => process.exit(1),
      })
    : undefined;
  if (elector) elector.start();
  else lead();

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'Shutting down');
    void (async () => {
      await manager.stop();
      await elector?.stop();
      server.close();
      client.close();
      process.exit(0);
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(
    `operator failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
