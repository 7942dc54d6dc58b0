/**
 * The runtime's small HTTP server on METRICS_PORT: `/metrics` (Prometheus text), `/healthz` (the process
 * answers) and `/readyz` (the model is loaded and the runtime is not draining), for scrapers and for HTTP
 * probes where a gRPC probe is not wanted.
 * @module
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RuntimeMetrics } from '../metrics.js';
import type { ModelManager } from './model-manager.js';

export interface HttpServerOptions {
  readonly host: string;
  readonly port: number;
  readonly metrics: RuntimeMetrics;
  readonly manager: ModelManager;
}

export interface RunningHttpServer {
  readonly port: number;
  close(): Promise<void>;
}

/** Binds and serves; rejects when the port cannot be bound. */
export function startHttpServer(options: HttpServerOptions): Promise<RunningHttpServer> {
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    const reply = (status: number, body: string, type = 'text/plain; charset=utf-8') => {
      response.writeHead(status, { 'content-type': type });
      response.end(body);
    };
    if (request.method !== 'GET' && request.method !== 'HEAD') return reply(405, 'method not allowed\n');
    if (path === '/healthz') return reply(200, 'ok\n');
    if (path === '/readyz')
      return options.manager.serving ? reply(200, 'ready\n') : reply(503, 'not ready\n');
    if (path === '/metrics') {
      options.metrics.registry.metrics().then(
        (text) => reply(200, text, options.metrics.registry.contentType),
        (error: unknown) => reply(500, `${(error as Error).message}\n`),
      );
      return;
    }
    reply(404, 'not found\n');
  });
  // Scrapes are short; a stuck client must not hold the process open at shutdown.
  server.keepAliveTimeout = 5000;
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve({
        port: (server.address() as AddressInfo).port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
