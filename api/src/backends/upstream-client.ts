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
 * The events of a server-sent event stream, each as sent (its lines, without the blank line that ends
 * it), as they arrive. Fails with a BackendError when the upstream goes silent for `idleMs`, passes the
 * deadline, breaks the connection, or sends an event larger than `maxEventBytes`; the connection is
 * dropped whenever the consumer stops early.
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
  let idle: NodeJS.Timeout | undefined;
  const arm = (ms = limits.idleMs) => {
    clearTimeout(idle);
    idle = setTimeout(
      () => fail(new BackendError('timeout', `The upstream stream stalled: no event for ${ms} ms`)),
      ms,
    );
  };
  const total = setTimeout(
    () => fail(new BackendError('timeout', 'The upstream stream did not end before the deadline')),
    Math.max(1, limits.deadline - Date.now()),
  );
  const onAbort = () => fail(cancelled());
  limits.signal?.addEventListener('abort', onAbort, { once: true });
  message.setEncoding('utf8');
  arm(
    limits.firstEventBy === undefined
      ? limits.idleMs
      : Math.max(1, Math.min(limits.idleMs, limits.firstEventBy - Date.now())),
  );
  let ended = false;
  try {
    for await (const chunk of message as AsyncIterable<string>) {
      arm();
      const split = splitEvents(pending + chunk);
      yield* split.events;
      pending = split.rest;
      if (pending.length > limits.maxEventBytes)
        throw new BackendError(
          'upstream_error',
          `The upstream sent an event over ${limits.maxEventBytes} bytes`,
        );
    }
    if (failure) throw failure;
    if (!message.complete)
      throw new BackendError('upstream_error', 'The upstream closed the stream mid-answer');
    if (pending.trim().length > 0) yield pending;
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

/** The whole events at the start of `text`, and what follows them (the start of the next). */
function splitEvents(text: string): { events: string[]; rest: string } {
  const events: string[] = [];
  let start = 0;
  for (let end = boundary(text, 0); end !== undefined; end = boundary(text, start)) {
    const event = text.slice(start, end.at);
    start = end.next;
    if (event.trim().length > 0) events.push(event);
  }
  return { events, rest: text.slice(start) };
}

/** Where the next event of `text` ends (a blank line: \n\n, \r\n\r\n or \r\r), from `from`. */
function boundary(text: string, from: number): { at: number; next: number } | undefined {
  const lf = text.indexOf('\n\n', from);
  const crlf = text.indexOf('\r\n\r\n', from);
  if (lf === -1 && crlf === -1) return undefined;
  if (crlf !== -1 && (lf === -1 || crlf < lf)) return { at: crlf, next: crlf + 4 };
  return { at: lf, next: lf + 2 };
}
