/**
 * Writing answers on node:http, shared by both ways a route is served (the lean inference path and
 * Express): JSON bodies, server-sent events, the one error shape, and the router's overhead header.
 * @module
 */
import type { ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { type ApiError, toApiError } from '../errors.js';
import type { Metrics } from '../metrics/registry.js';
import type { RouteResult } from './route.js';

const JSON_TYPE = 'application/json; charset=utf-8';

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers?: Readonly<Record<string, string>>,
): void {
  const text = JSON.stringify(body);
  if (headers) for (const name in headers) res.setHeader(name, headers[name] as string);
  res.writeHead(status, { 'content-type': JSON_TYPE, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The one error shape; unexpected errors are logged with their stack, expected ones at debug. */
export function sendError(
  res: ServerResponse,
  err: unknown,
  metrics: Metrics,
  log: Logger | undefined,
): ApiError {
  const apiError = toApiError(err);
  if (apiError.status >= 500 && apiError.code === 'internal_error') log?.error({ err }, 'Unexpected error');
  else log?.debug({ code: apiError.code, message: apiError.message }, 'Request failed');
  metrics.errors.inc({ code: apiError.code });
  if (res.headersSent) {
    res.destroy();
    return apiError;
  }
  if (apiError.retryAfterSeconds !== undefined)
    res.setHeader('retry-after', String(apiError.retryAfterSeconds));
  if (apiError.status === 401) res.setHeader('www-authenticate', 'Bearer');
  if (apiError.headers)
    for (const name in apiError.headers) res.setHeader(name, apiError.headers[name] as string);
  // The OpenAI-compatible API answers in OpenAI's error shape, which its SDKs read (type, param, code).
  const openai = res.req?.url?.startsWith('/v1/') ?? false;
  sendJson(res, apiError.status, openai ? apiError.toOpenAIBody() : apiError.toBody());
  return apiError;
}

/** Relays server-sent events, honouring back-pressure; stops early when the client goes away. */
export async function sendEvents(
  res: ServerResponse,
  events: AsyncIterable<string>,
  headers?: Readonly<Record<string, string>>,
): Promise<void> {
  if (headers) for (const name in headers) res.setHeader(name, headers[name] as string);
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.flushHeaders();
  for await (const chunk of events) {
    if (res.destroyed) break;
    if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
  }
  res.end();
}

/**
 * Writes a route's result. For inference answers (`result.upstreamMs` set) the router's own time is
 * measured here, from the request's arrival to the moment the serialised answer is handed to the socket
 * (for a stream: to its headers, sent once the first event arrived), minus the time spent waiting on
 * backends: it goes out as `x-router-overhead-ms` and into `router_overhead_seconds`.
 */
export async function sendResult(
  res: ServerResponse,
  result: RouteResult,
  receivedAt: number,
  metrics: Metrics,
): Promise<void> {
  if (result.events) {
    // A stream is committed once its first event arrived: the overhead is the router's time until then.
    if (result.upstreamMs === undefined) {
      await sendEvents(res, result.events, result.headers);
      return;
    }
    const overheadMs = Math.max(0, performance.now() - receivedAt - result.upstreamMs);
    metrics.overhead.observe({ operation: result.operation ?? 'unknown' }, overheadMs / 1000);
    await sendEvents(res, result.events, {
      ...result.headers,
      'x-router-overhead-ms': overheadMs.toFixed(3),
    });
    return;
  }
  if (result.upstreamMs === undefined) {
    sendJson(res, result.status ?? 200, result.body, result.headers);
    return;
  }
  const text = result.raw ? result.raw.body : JSON.stringify(result.body);
  const overheadMs = Math.max(0, performance.now() - receivedAt - result.upstreamMs);
  if (result.headers) for (const name in result.headers) res.setHeader(name, result.headers[name] as string);
  res.writeHead(result.status ?? 200, {
    'content-type': result.raw ? result.raw.contentType : JSON_TYPE,
    'content-length': Buffer.byteLength(text),
    'x-router-overhead-ms': overheadMs.toFixed(3),
  });
  res.end(text);
  metrics.overhead.observe({ operation: result.operation ?? 'unknown' }, overheadMs / 1000);
}
