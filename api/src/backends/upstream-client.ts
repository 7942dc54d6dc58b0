/**
 * The router's HTTP client for OpenAI-compatible upstreams: node:http(s) with pooled keep-alive
 * connections, no SDK and no web streams (bench/router measures why). It sends bytes and hands back
 * bytes: a JSON answer read whole but never past a bound, or a server-sent event stream split into its
 * events as they arrive, never accumulated, with an idle timeout between events and a total deadline.
 * Redirects are not followed (an API endpoint that redirects is misconfigured).
 * @module
 */
import {
  Agent as HttpAgent,
  request as httpRequest,
  type IncomingHttpHeaders,
  type IncomingMessage,
} from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { BackendError, type UpstreamClock } from './backend.js';

export interface UpstreamClientOptions {
  /** Most connections per upstream host. */
  readonly maxSockets?: number;
  /** Idle pooled connections are closed after this long (below common server keep-alive timeouts). */
  readonly idleSocketMs?: number;
}

export interface UpstreamCall {
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
  /** Epoch ms by which the answer's headers (and, read with `readBody`, its whole body) must arrive. */
  readonly deadline: number;
  readonly signal?: AbortSignal;
  /** Where the time on the wire is recorded (the router's overhead is the rest). */
  readonly clock?: UpstreamClock;
}

export interface UpstreamResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  readonly message: IncomingMessage;
  /** When the call was handed to the socket (performance.now()). */
  readonly startedAt: number;
}

export interface StreamLimits {
  /** Longest silence between two events before the stream counts as stalled. */
  readonly idleMs: number;
  /** Epoch ms by which the first event must have arrived (the attempt's deadline). */
  readonly firstEventBy?: number;
  /** Epoch ms by which the whole stream must have ended. */
  readonly deadline: number;
  /** Largest single event (a runaway line without a blank line after it is not an event). */
  readonly maxEventBytes: number;
  readonly signal?: AbortSignal;
}

const cancelled = () => new BackendError('cancelled', 'The request was cancelled');

export class UpstreamClient {
  readonly #http: HttpAgent;
  readonly #https: HttpsAgent;

  constructor(options: UpstreamClientOptions = {}) {
    const agent = {
      keepAlive: true,
      maxSockets: options.maxSockets ?? 256,
      timeout: options.idleSocketMs ?? 4_000,
      scheduling: 'lifo' as const,
    };
    this.#http = new HttpAgent(agent);
    this.#https = new HttpsAgent(agent);
  }

  close(): void {
    this.#http.destroy();
    this.#https.destroy();
  }

  /** POSTs the body; resolves when the answer's headers arrived, fails with a BackendError otherwise. */
  post(call: UpstreamCall): Promise<UpstreamResponse> {
    const { url, signal } = call;
    if (signal?.aborted) return Promise.reject(cancelled());
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const startedAt = performance.now();
      const req = (secure ? httpsRequest : httpRequest)(url, {
        method: 'POST',
        headers: { ...call.headers, 'content-length': Buffer.byteLength(call.body) },
        agent: secure ? this.#https : this.#http,
      });
      let settled = false;
      const settle = () => {
        settled = true;
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (err: BackendError) => {
        if (settled) return;
        settle();
        req.destroy();
        reject(err);
      };
      const onAbort = () => fail(cancelled());
      const timer = setTimeout(
        () => fail(new BackendError('timeout', `${url.origin} did not answer in time`)),
        Math.max(1, call.deadline - Date.now()),
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      // `on`, not `once`: a socket can fail more than once, and an unheard 'error' would end the process.
      req.on('error', (err) =>
        fail(new BackendError('unavailable', `Cannot reach ${url.origin}: ${err.message}`, { cause: err })),
      );
      req.once('response', (message) => {
        if (settled) {
          message.destroy();
          return;
        }
        settle();
        if (call.clock) {
          call.clock.ms += performance.now() - startedAt;
          call.clock.measured = true;
        }
        resolve({ status: message.statusCode ?? 502, headers: message.headers, message, startedAt });
      });
      req.end(call.body);
    });
  }

  /**
   * Reads an answer whole, up to `maxBytes` (past it the connection is dropped and the attempt fails as the
   * upstream's error: an answer the router will not hold is one it cannot serve), by `deadline`.
   */
  readBody(
    res: UpstreamResponse,
    limits: { maxBytes: number; deadline: number; signal?: AbortSignal; clock?: UpstreamClock },
  ): Promise<Buffer> {
    const { message } = res;
    const origin = `upstream ${res.headers.host ?? ''}`.trim();
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let settled = false;
      const done = (err?: BackendError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        limits.signal?.removeEventListener('abort', onAbort);
        message.removeListener('data', onData);
        if (limits.clock) limits.clock.ms += performance.now() - readFrom;
        if (err) {
          message.destroy();
          reject(err);
        } else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
      };
      const readFrom = performance.now();
      const onAbort = () => done(cancelled());
      const onData = (chunk: Buffer) => {
        size += chunk.length;
        if (size > limits.maxBytes) {
          done(
            new BackendError(
              'upstream_error',
              `${origin} answered more than ${limits.maxBytes} bytes (UPSTREAM_MAX_RESPONSE_BYTES)`,
            ),
          );
          return;
        }
        chunks.push(chunk);
      };
      const timer = setTimeout(
        () => done(new BackendError('timeout', `${origin} did not finish its answer in time`)),
        Math.max(1, limits.deadline - Date.now()),
      );
      limits.signal?.addEventListener('abort', onAbort, { once: true });
      message.on('data', onData);
      message.once('end', () => done());
      message.on('error', (err) =>
        done(new BackendError('upstream_error', `${origin} broke off its answer: ${err.message}`)),
      );
      message.once('aborted', () =>
        done(new BackendError('upstream_error', `${origin} closed the connection mid-answer`)),
      );
    });
  }
}

/**
 * A server-sent event stream as it arrives: each item is every complete event one network read finished,
 * byte for byte with the blank lines that end them (so a relay writes it as it is, in one write). Fails
 * with a BackendError when the upstream is silent for `idleMs` (or sends no event by `firstEventBy`),
 * passes the deadline, breaks the connection, or sends an event larger than `maxEventBytes`; the
 * connection is dropped whenever the consumer stops early.
 */
export async function* serverSentEvents(
  message: IncomingMessage,
  limits: StreamLimits,
): AsyncIterable<string> {
  let pending = '';
  let failure: BackendError | undefined;
  const fail = (err: BackendError) => {
    failure ??= err;
    message.destroy();
  };
  // One timer for silence, re-armed only when it fires (not on every read): it compares with the last read.
  let lastRead = Date.now();
  let quietLimit =
    limits.firstEventBy === undefined
      ? limits.idleMs
      : Math.max(1, Math.min(limits.idleMs, limits.firstEventBy - Date.now()));
  let idle: NodeJS.Timeout;
  const checkIdle = () => {
    const quiet = Date.now() - lastRead;
    if (quiet >= quietLimit)
      fail(new BackendError('timeout', `The upstream stream stalled: no event for ${quietLimit} ms`));
    else idle = setTimeout(checkIdle, quietLimit - quiet);
  };
  idle = setTimeout(checkIdle, quietLimit);
  const total = setTimeout(
    () => fail(new BackendError('timeout', 'The upstream stream did not end before the deadline')),
    Math.max(1, limits.deadline - Date.now()),
  );
  const onAbort = () => fail(cancelled());
  limits.signal?.addEventListener('abort', onAbort, { once: true });
  message.setEncoding('utf8');
  let ended = false;
  try {
    for await (const chunk of message as AsyncIterable<string>) {
      pending += chunk;
      const end = lastBoundary(pending);
      if (end > 0) {
        lastRead = Date.now();
        quietLimit = limits.idleMs;
        yield pending.slice(0, end);
        pending = pending.slice(end);
      }
      if (pending.length > limits.maxEventBytes)
        throw new BackendError(
          'upstream_error',
          `The upstream sent an event over ${limits.maxEventBytes} bytes`,
        );
    }
    if (failure) throw failure;
    if (!message.complete)
      throw new BackendError('upstream_error', 'The upstream closed the stream mid-answer');
    if (pending.trim().length > 0) yield `${pending}\n\n`;
    ended = true;
  } catch (err) {
    throw failure ?? streamFailure(err);
  } finally {
    clearTimeout(idle);
    clearTimeout(total);
    limits.signal?.removeEventListener('abort', onAbort);
    if (!ended) message.destroy();
  }
}

function streamFailure(err: unknown): BackendError {
  if (err instanceof BackendError) return err;
  return new BackendError('upstream_error', `The upstream stream broke: ${(err as Error).message}`);
}

/** Where the last complete event of `text` ends (after its blank line: \n\n, \r\n\r\n or \r\r), or 0. */
export function lastBoundary(text: string): number {
  const lf = text.lastIndexOf('\n\n');
  const crlf = text.lastIndexOf('\r\n\r\n');
  const cr = text.lastIndexOf('\r\r');
  return Math.max(lf === -1 ? 0 : lf + 2, crlf === -1 ? 0 : crlf + 4, cr === -1 ? 0 : cr + 2);
}

/** The events of a block of complete events, each without the blank line that ends it. */
export function eventsOf(block: string): string[] {
  return block.split(/\r\n\r\n|\n\n|\r\r/).filter((e) => e.trim().length > 0);
}
