/**
 * A real loopback HTTP file server for model-store tests: Range requests with ETag/If-Range (as CDNs and
 * object-store gateways answer them), and faults on demand: cut the connection after N bytes of a response,
 * ignore ranges, or answer with a status.
 * @module
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Fault {
  /** Send this many body bytes, then destroy the socket (for the next `times` responses of the path). */
  readonly cutAfter?: number;
  /** Answer with this status instead. */
  readonly status?: number;
  /** Send headers, then nothing at all (a stall). */
  readonly stall?: boolean;
  /** Send this many body bytes, then hold the rest until `resume(path)` (a download caught mid-file). */
  readonly pauseAfter?: number;
  readonly times: number;
}

export interface FileServer {
  readonly url: string;
  /** GETs per path, and the Range header each carried. */
  readonly requests: { path: string; range: string | undefined }[];
  /** Body bytes sent in all. */
  bytesSent: number;
  put(path: string, body: Buffer): void;
  fault(path: string, fault: Fault): void;
  /** Sends the rest of every response paused by a `pauseAfter` fault on `path`. */
  resume(path: string): void;
  /** When set, Range headers are ignored (a server without range support). */
  ignoreRanges: boolean;
  close(): Promise<void>;
}

export async function startFileServer(): Promise<FileServer> {
  const files = new Map<string, Buffer>();
  const faults = new Map<string, Fault & { left: number }>();
  const paused = new Map<string, (() => void)[]>();
  const state: FileServer = {
    url: '',
    requests: [],
    bytesSent: 0,
    ignoreRanges: false,
    put: (path, body) => files.set(path, body),
    fault: (path, fault) => faults.set(path, { ...fault, left: fault.times }),
    resume: (path) => {
      for (const send of paused.get(path)?.splice(0) ?? []) send();
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
  const handle = (request: IncomingMessage, response: ServerResponse) => {
    const path = decodeURIComponent((request.url ?? '/').split('?')[0] as string);
    state.requests.push({ path, range: request.headers.range });
    const body = files.get(path);
    if (!body) {
      response.writeHead(404).end('not found');
      return;
    }
    const fault = faults.get(path);
    const active = fault && fault.left > 0 ? fault : undefined;
    if (active) active.left--;
    if (active?.status) {
      response.writeHead(active.status).end('fault');
      return;
    }
    const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
    const range = /^bytes=(\d+)-$/.exec(request.headers.range ?? '');
    const ifRange = request.headers['if-range'];
    const start = range && !state.ignoreRanges && (!ifRange || ifRange === etag) ? Number(range[1]) : 0;
    const slice = body.subarray(start);
    const headers: Record<string, string | number> = {
      etag,
      'content-length': slice.length,
      'accept-ranges': 'bytes',
    };
    if (start > 0) headers['content-range'] = `bytes ${start}-${body.length - 1}/${body.length}`;
    response.writeHead(start > 0 ? 206 : 200, headers);
    if (active?.stall) {
      response.flushHeaders();
      return; // the socket stays open with nothing on it until the client gives up
    }
    if (active?.pauseAfter !== undefined) {
      const head = slice.subarray(0, active.pauseAfter);
      state.bytesSent += head.length;
      response.write(head);
      const rest = () => {
        state.bytesSent += slice.length - head.length;
        response.end(slice.subarray(head.length));
      };
      paused.set(path, [...(paused.get(path) ?? []), rest]);
      return;
    }
    const send = active?.cutAfter !== undefined ? slice.subarray(0, active.cutAfter) : slice;
    state.bytesSent += send.length;
    if (active?.cutAfter !== undefined) {
      response.write(send, () => response.socket?.destroy());
      return;
    }
    response.end(send);
  };
  const server: Server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  (state as { url: string }).url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = state.close;
  state.close = () => {
    server.closeAllConnections();
    return close();
  };
  return state;
}
