/**
 * The lean path for inference routes (those declared `hot`): served on node:http directly, with one body
 * read and parse, the route's zod schema, and the same request id, access log, metrics and error shape as
 * the routes Express serves. Everything else goes to Express. What this saves per request (Express's
 * router, its request/response decoration, body-parser's content negotiation) is measured in bench/router.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import type { Logger } from 'pino';
import {
  MalformedJsonError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.js';
import type { Admission } from '../limits/admission.js';
import type { Metrics } from '../metrics/registry.js';
import { type CallerKeys, identifyCaller } from './callers.js';
import { logFinished, requestIdFrom } from './middleware.js';
import { sendError, sendResult } from './respond.js';
import { type AnyRoute, validated } from './route.js';

export interface HotRouteOptions {
  readonly routes: readonly AnyRoute[];
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly maxBodyBytes: number;
  readonly callerKeys: CallerKeys;
  readonly admit?: Admission;
}

/** Returns a handler that serves a hot route and answers true, or answers false for anything else. */
export function hotRoutes(options: HotRouteOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const byPath = new Map<string, AnyRoute>();
  for (const def of options.routes) {
    if (!def.hot) continue;
    if (def.method !== 'post' || def.path.includes(':') || !def.body)
      throw new Error(`${def.path}: only POST routes with a body and no path parameters can be hot`);
    byPath.set(def.path, def);
  }
  return (req, res) => {
    if (req.method !== 'POST') return false;
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const def = byPath.get(q === -1 ? url : url.slice(0, q));
    if (!def) return false;
    void serve(def, req, res, options);
    return true;
  };
}

async function serve(
  def: AnyRoute,
  req: IncomingMessage,
  res: ServerResponse,
  { logger, metrics, maxBodyBytes, callerKeys, admit }: HotRouteOptions,
): Promise<void> {
  const receivedAt = performance.now();
  const requestId = requestIdFrom(req.headers['x-request-id']);
  res.setHeader('x-request-id', requestId);
  let log: Logger | undefined;
  const requestLog = () => {
    log ??= logger.child({ requestId });
    return log;
  };
  res.once('finish', () =>
    logFinished(metrics, requestLog, {
      method: 'POST',
      path: def.path,
      route: def.path,
      status: res.statusCode,
      startedAt: receivedAt,
    }),
  );
  try {
    const caller = identifyCaller(callerKeys, req.headers);
    if (admit) await admit(caller);
    const raw = await readJson(req, maxBodyBytes);
    const { body } = validated(def, raw, undefined);
    const abort = new AbortController();
    res.once('close', () => {
      if (!res.writableEnded) abort.abort();
    });
    const result = await def.handler({
      headers: req.headers,
      body,
      query: undefined,
      params: {},
      requestId,
      caller,
      get log() {
        return requestLog();
      },
      signal: abort.signal,
      receivedAt,
    });
    await sendResult(res, result, receivedAt, metrics);
  } catch (err) {
    if (err instanceof PayloadTooLargeError) res.setHeader('connection', 'close');
    sendError(res, err, metrics, requestLog());
  }
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

/** Reads and parses a JSON body: 415 for other types, 413 past the limit, 400 for bad JSON or none. */
export async function readJson(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const length = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (length === undefined || length === '0')) {
    throw new ValidationError('Request body is required: send a JSON object', {
      problems: [{ path: 'body', message: 'required' }],
    });
  }
  const contentType = req.headers['content-type'] ?? '';
  const semi = contentType.indexOf(';');
  const mediaType = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (!JSON_TYPE.test(mediaType)) {
    throw new UnsupportedMediaTypeError(
      `Send JSON with content-type application/json (got ${contentType || 'none'})`,
    );
  }
  if (semi !== -1) {
    const charset = /charset\s*=\s*"?([\w-]+)/i.exec(contentType.slice(semi))?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8')
      throw new UnsupportedMediaTypeError(`Unsupported charset ${charset}: send UTF-8 JSON`);
  }
  if (length !== undefined && Number(length) > limitBytes) {
    throw new PayloadTooLargeError(`Request body exceeds ${limitBytes} bytes`, { limit_bytes: limitBytes });
  }
  const text = await readBody(req, limitBytes);
  if (text.length === 0) {
    throw new ValidationError('Request body is required: send a JSON object', {
      problems: [{ path: 'body', message: 'required' }],
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new MalformedJsonError(`Request body is not valid JSON: ${(err as Error).message}`);
  }
  // Like body-parser's strict mode: a bare string, number or null is not a request.
  if (typeof value !== 'object' || value === null)
    throw new MalformedJsonError('Request body is not valid JSON: expected an object');
  return value;
}

function decoded(req: IncomingMessage): Readable {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  switch (encoding) {
    case 'identity':
      return req;
    case 'gzip':
    case 'x-gzip':
      return req.pipe(createGunzip());
    case 'deflate':
      return req.pipe(createInflate());
    case 'br':
      return req.pipe(createBrotliDecompress());
    default:
      throw new UnsupportedMediaTypeError(`Unsupported content-encoding ${encoding}`);
  }
}

function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const source = decoded(req);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (err: Error) => {
      source.removeListener('data', onData);
      if (source !== req) {
        // A decompressor holds the compressed bytes already read: left running, a small bomb goes on
        // inflating gigabytes after the answer. Stop feeding it and free it now.
        req.unpipe(source as Transform);
        source.removeAllListeners('error');
        source.on('error', () => {});
        source.destroy();
      }
      // What the client still sends is discarded unread, never buffered or inflated; the answer closes the
      // connection (PayloadTooLargeError sets `connection: close`).
      req.resume();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        fail(
          new PayloadTooLargeError(`Request body exceeds ${limitBytes} bytes`, { limit_bytes: limitBytes }),
        );
        return;
      }
      chunks.push(chunk);
    };
    source.on('data', onData);
    source.once('end', () => {
      resolve(
        chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8'),
      );
    });
    source.once('error', (err: Error) =>
      fail(
        source === req
          ? new MalformedJsonError(`Request body could not be read: ${err.message}`)
          : new MalformedJsonError(`Request body could not be decompressed: ${err.message}`),
      ),
    );
    req.once('aborted', () => fail(new MalformedJsonError('The client aborted the request body')));
  });
}
