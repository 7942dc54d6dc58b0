/**
 * The `fetch` the openai SDK uses to reach OpenAI-compatible upstreams: node:http(s) with pooled keep-alive
 * connections instead of the global fetch (undici and web streams), which costs several times more CPU per
 * request (bench/router/sdk-transport.ts). It honours what the SDK relies on: method, headers, string or
 * byte bodies, AbortSignal, and a standard `Response`; event streams are handed over as they arrive, other
 * answers are read whole before the promise resolves (so the SDK's timeout covers the body too). Redirects
 * are not followed (an API endpoint that redirects is misconfigured; the 3xx reaches the caller).
 *
 * It also records the time on the wire, from the request handed to the socket to the last byte of the
 * answer (to its headers for a stream), in the `upstreamClock` a call passes in its fetch options: the
 * router's overhead is the rest.
 * @module
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { Readable } from 'node:stream';
import type { UpstreamClock } from './backend.js';

export interface UpstreamFetchOptions {
  /** Most connections per upstream host. */
  readonly maxSockets?: number;
  /** Idle connections are closed after this long (below common server keep-alive timeouts). */
  readonly idleTimeoutMs?: number;
}

/** What a call adds to the SDK's `fetchOptions`. */
export interface UpstreamFetchInit extends RequestInit {
  upstreamClock?: UpstreamClock;
}

export interface UpstreamFetch {
  readonly fetch: (input: string | URL | Request, init?: UpstreamFetchInit) => Promise<Response>;
  /** Closes pooled connections. */
  close(): void;
}

const NULL_BODY_STATUS = new Set([101, 204, 205, 304]);

/**
 * A standard Response whose body was read whole: the reading methods answer from the bytes in memory, and
 * `body` is a ReadableStream made only if someone asks for it. Constructing a Response over bytes makes a
 * web stream up front, which costs about ten times more than the whole of this (bench/router/sdk-transport.ts).
 */
/** Response, typed without the members BufferedResponse re-implements (lib typings declare them as fields). */
const ResponseWithoutBody: new (
  body: null,
  init: ResponseInit,
) => Pick<Response, 'headers' | 'status' | 'statusText' | 'ok'> = Response;

export class BufferedResponse extends ResponseWithoutBody {
  readonly #bytes: Buffer;
  #stream?: ReadableStream<Uint8Array>;
  #used = false;

  constructor(bytes: Buffer, init: ResponseInit) {
    super(null, init);
    this.#bytes = bytes;
  }

  #take(): Buffer {
    if (this.#used) throw new TypeError('Body is unusable: Body has already been read');
    this.#used = true;
    return this.#bytes;
  }

  get body(): ReadableStream<Uint8Array> {
    if (!this.#stream) {
      const bytes = this.#take();
      this.#stream = new ReadableStream({
        start(controller) {
          if (bytes.length > 0) controller.enqueue(new Uint8Array(bytes));
          controller.close();
        },
      });
    }
    return this.#stream;
  }

  get bodyUsed(): boolean {
    return this.#used;
  }

  async text(): Promise<string> {
    return this.#take().toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.#take().toString('utf8'));
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const bytes = this.#take();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  }

  async blob(): Promise<Blob> {
    return new Blob([this.#take()], { type: this.headers.get('content-type') ?? '' });
  }

  clone(): BufferedResponse {
    if (this.#used) throw new TypeError('Response.clone: Body has already been consumed.');
    return new BufferedResponse(this.#bytes, {
      status: this.status,
      statusText: this.statusText,
      headers: this.headers,
    });
  }
}

function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  return reason instanceof Error && reason.name === 'AbortError'
    ? reason
    : new DOMException('This operation was aborted', 'AbortError');
}

function headerRecord(headers: RequestInit['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  if (!headers) return out;
  if (headers instanceof Headers) {
    headers.forEach((value, name) => {
      out[name] = value;
    });
  } else if (Array.isArray(headers)) {
    for (const [name, value] of headers) out[(name as string).toLowerCase()] = value as string;
  } else {
    for (const name in headers) out[name.toLowerCase()] = (headers as Record<string, string>)[name] as string;
  }
  return out;
}

/** The upstream's headers as pairs, for the Response to validate once (a Headers here would be checked twice). */
function responseHeaders(res: IncomingMessage): [string, string][] {
  const pairs: [string, string][] = [];
  const raw = res.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) pairs.push([raw[i] as string, raw[i + 1] as string]);
  return pairs;
}

function makeResponse(body: Buffer | ReadableStream<Uint8Array> | null, init: ResponseInit): Response {
  return body instanceof Buffer
    ? (new BufferedResponse(body, init) as unknown as Response)
    : new Response(body, init);
}

export function createUpstreamFetch(options: UpstreamFetchOptions = {}): UpstreamFetch {
  const agentOptions = {
    keepAlive: true,
    maxSockets: options.maxSockets ?? 256,
    timeout: options.idleTimeoutMs ?? 4_000,
    scheduling: 'lifo' as const,
  };
  const http = new HttpAgent(agentOptions);
  const https = new HttpsAgent(agentOptions);

  function upstreamFetch(input: string | URL | Request, init: UpstreamFetchInit = {}): Promise<Response> {
    if (
      input instanceof Request ||
      (init.body != null && typeof init.body !== 'string' && !(init.body instanceof Uint8Array))
    ) {
      // Not what the SDK sends for our calls (JSON bodies); the standard client handles the rest.
      return globalThis.fetch(input, init);
    }
    const url = typeof input === 'string' ? new URL(input) : input;
    const signal = init.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(abortError(signal));
    const clock = init.upstreamClock;
    const secure = url.protocol === 'https:';
    return new Promise<Response>((resolve, reject) => {
      const started = performance.now();
      const stopClock = () => {
        if (!clock) return;
        clock.ms += performance.now() - started;
        clock.measured = true;
      };
      const req = (secure ? httpsRequest : httpRequest)(url, {
        method: init.method ?? 'GET',
        headers: headerRecord(init.headers),
        agent: secure ? https : http,
      });
      let settled = false;
      const fail = (err: unknown) => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        reject(err);
      };
      const onAbort = () => {
        const err = abortError(signal as AbortSignal);
        req.destroy(err);
        fail(err);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      req.once('error', (err) => fail(new TypeError('fetch failed', { cause: err })));
      req.once('response', (res) => {
        const status = res.statusCode ?? 502;
        const init = { status, statusText: res.statusMessage ?? '', headers: responseHeaders(res) };
        const done = (body: Buffer | ReadableStream<Uint8Array> | null) => {
          if (settled) return;
          settled = true;
          if (!(body instanceof ReadableStream)) signal?.removeEventListener('abort', onAbort);
          try {
            resolve(makeResponse(body, init));
          } catch (err) {
            reject(new TypeError(`fetch failed: upstream answered with status ${status}`, { cause: err }));
          }
        };
        if (NULL_BODY_STATUS.has(status)) {
          stopClock();
          res.resume();
          done(null);
          return;
        }
        if (/^text\/event-stream/i.test(res.headers['content-type'] ?? '')) {
          stopClock();
          res.once('close', () => signal?.removeEventListener('abort', onAbort));
          done(Readable.toWeb(res) as ReadableStream<Uint8Array>);
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => {
          stopClock();
          done(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks));
        });
        res.once('error', (err) => fail(new TypeError('fetch failed', { cause: err })));
        res.once('aborted', () =>
          fail(new TypeError('fetch failed: the upstream closed the connection mid-answer')),
        );
      });
      req.end(init.body as string | Uint8Array | undefined);
    });
  }

  return {
    fetch: upstreamFetch,
    close() {
      http.destroy();
      https.destroy();
    },
  };
}
