/**
 * A loopback TCP proxy that cuts the connection after `cutAfter` response bytes of the first `times`
 * requests whose request line matches `match`: a broken link between a runtime and a real store.
 * @module
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

export interface CuttingProxy {
  readonly port: number;
  /** Request lines seen (e.g. `GET /bucket/key?x-id=GetObject HTTP/1.1`) with their Range and If-Match. */
  readonly requests: { line: string; range: string | undefined; ifMatch: string | undefined }[];
  close(): Promise<void>;
}

export async function startCuttingProxy(
  upstreamPort: number,
  rule: { match: RegExp; cutAfter: number; times: number },
): Promise<CuttingProxy> {
  let left = rule.times;
  const requests: CuttingProxy['requests'] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = createConnection(upstreamPort, '127.0.0.1');
    sockets.add(client).add(upstream);
    let budget = Number.POSITIVE_INFINITY;
    client.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      const line = /^[A-Z]+ \S+ HTTP\/1\.1/m.exec(text)?.[0];
      if (line) {
        requests.push({
          line,
          range: /^range: (.*)$/im.exec(text)?.[1]?.trim(),
          ifMatch: /^if-match: (.*)$/im.exec(text)?.[1]?.trim(),
        });
        if (rule.match.test(line) && left > 0) {
          left--;
          budget = rule.cutAfter;
        }
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (chunk.length < budget) {
        budget -= chunk.length;
        client.write(chunk);
        return;
      }
      client.write(chunk.subarray(0, budget), () => {
        client.destroy();
        upstream.destroy();
      });
      budget = 0;
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    requests,
    close: () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
