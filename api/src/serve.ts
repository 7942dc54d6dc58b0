/**
 * Puts an app on a port and gives back how to stop it: stop accepting, let requests in flight finish.
 * @module
 */
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Config } from './config.js';

export interface Listening {
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

export async function listen(
  app: RequestListener,
  config: Config,
  logger: Logger,
  extra: Record<string, unknown> = {},
): Promise<Listening> {
  const server = createServer(app).listen(config.PORT, config.HOST);
  await new Promise<void>((ok, fail) => server.once('listening', ok).once('error', fail));
  // Upstream keep-alive from load balancers: stay open a little longer than they do, so they close first.
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  const port = (server.address() as AddressInfo).port;
  const url = `http://${config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST}:${port}`;
  logger.info({ url, port, ...extra }, 'Router listening');
  return {
    url,
    port,
    // close() stops accepting, drops idle keep-alive connections and waits for requests in flight.
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}
