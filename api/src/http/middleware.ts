/**
 * Request plumbing shared by every route: request ids, access logs and HTTP metrics, JSON bodies, and
 * turning every failure into the one error shape.
 * @module
 */
import { randomUUID } from 'node:crypto';
import express, {
  type ErrorRequestHandler,
  type NextFunction,
  type Request,
  type RequestHandler,
  type Response,
} from 'express';
import type { Logger } from 'pino';
import {
  type ApiError,
  MalformedJsonError,
  PayloadTooLargeError,
  RouteNotFoundError,
  UnsupportedMediaTypeError,
} from '../errors.js';
import type { Admission } from '../limits/admission.js';
import type { Metrics } from '../metrics/registry.js';
import { type CallerKeys, identifyCaller } from './callers.js';
import { InvalidPathError } from './request-errors.js';
import { sendError } from './respond.js';

declare global {
  namespace Express {
    interface Request {
      id: string;
      log: Logger;
      /** Who is calling (set by `admitCaller` before the body is read). */
      caller: string;
    }
  }
}

const PROBES = new Set(['/healthz', '/readyz', '/metrics']);
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** A caller's `x-request-id` when it is safe to log, else a new one. */
export function requestIdFrom(given: string | string[] | undefined): string {
  return typeof given === 'string' && SAFE_REQUEST_ID.test(given) ? given : randomUUID();
}

/** Honours a caller's `x-request-id` when it is safe to log, else makes one; echoes it on the response. */
export function requestId(logger: Logger): RequestHandler {
  return function requestIdMiddleware(req, res, next) {
    req.id = requestIdFrom(req.headers['x-request-id']);
    req.log = logger.child({ requestId: req.id });
    res.setHeader('x-request-id', req.id);
    next();
  };
}

/** The access log line and HTTP metrics of one answered request (both serving paths). */
export interface Finished {
  readonly method: string;
  readonly path: string;
  /** The route template (bounded, for metric labels). */
  readonly route: string;
  readonly status: number;
  readonly startedAt: number;
}

export function logFinished(metrics: Metrics, log: () => Logger, finished: Finished): void {
  const { method, path, route, status, startedAt } = finished;
  const seconds = (performance.now() - startedAt) / 1000;
  metrics.httpRequests.inc({ route, method, status: String(status) });
  metrics.httpDuration.observe({ route, method }, seconds);
  // Probes and scrapes arrive every few seconds; logging them at info would bury the traffic.
  const level = PROBES.has(path) ? 'debug' : status >= 500 ? 'error' : 'info';
  const logger = log();
  if (!logger.isLevelEnabled(level)) return;
  logger[level](
    { method, path, route, status, durationMs: Math.round(seconds * 1e5) / 100 },
    'Request finished',
  );
}

/** The route template (`/api/models/:model_id`), so metric labels stay bounded. */
function routeLabel(req: Request): string {
  const path = req.route?.path as string | undefined;
  return path ? `${req.baseUrl}${path}` : 'unmatched';
}

export function accessLog(metrics: Metrics): RequestHandler {
  return function accessLogMiddleware(req, res, next) {
    const started = performance.now();
    res.on('finish', () => {
      logFinished(metrics, () => req.log, {
        method: req.method,
        path: req.path,
        route: routeLabel(req),
        status: res.statusCode,
        startedAt: started,
      });
    });
    next();
  };
}

/**
 * Names the caller (401 without a known key) and admits it by its rate limit (429), before the body parser:
 * a refused request costs no body read, parse or inflation. The lean path does the same in the same order.
 */
export function admitCaller(callerKeys: CallerKeys, admit: Admission | undefined): RequestHandler {
  return async function admitCallerMiddleware(req, _res, next) {
    req.caller = identifyCaller(callerKeys, req.headers);
    if (admit) await admit(req.caller);
    next();
  };
}

/** JSON bodies only: other content types get 415, unparseable JSON 400, oversized bodies 413. */
export function jsonBody(limitBytes: number): RequestHandler[] {
  const parse = express.json({
    limit: limitBytes,
    strict: true,
    type: ['application/json', 'application/*+json'],
  });
  return [
    function requireJson(req: Request, _res: Response, next: NextFunction) {
      const hasBody =
        Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding') !== undefined;
      if (hasBody && !req.is(['application/json', 'application/*+json'])) {
        next(
          new UnsupportedMediaTypeError(
            `Send JSON with content-type application/json (got ${req.get('content-type') ?? 'none'})`,
          ),
        );
        return;
      }
      next();
    },
    parse,
  ];
}

export function notFound(): RequestHandler {
  return function notFoundHandler(req, _res, next) {
    next(new RouteNotFoundError(`No route for ${req.method} ${req.path}`));
  };
}

interface BodyParserError {
  type?: string;
  status?: number;
  limit?: number;
  message?: string;
  /** Set by zlib on a body that does not inflate (body-parser passes the zlib error on as a 400). */
  errno?: number;
  code?: string;
}

/**
 * What Express and body-parser throw for a bad request, as the ApiError it is: a path parameter that is
 * not valid percent-encoding (the router's URIError, status 400), and body-parser's failures.
 */
function fromFramework(err: unknown): ApiError | undefined {
  if (err instanceof URIError && (err as BodyParserError).status === 400)
    return new InvalidPathError(`The path is not valid percent-encoding: ${err.message}`);
  if (typeof err !== 'object' || err === null) return undefined;
  return fromBodyParser(err as BodyParserError);
}

function fromBodyParser(err: BodyParserError): ApiError | undefined {
  switch (err.type) {
    case 'entity.parse.failed':
      return new MalformedJsonError(`Request body is not valid JSON: ${err.message ?? 'parse error'}`);
    case 'entity.too.large':
      return new PayloadTooLargeError(`Request body exceeds ${err.limit} bytes`, { limit_bytes: err.limit });
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new UnsupportedMediaTypeError(err.message ?? 'Unsupported body encoding');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new MalformedJsonError(err.message ?? 'Request body could not be read');
    case undefined:
      // A content-encoding the body does not match: zlib's error, without a type (the lean path's answer).
      if (err.status === 400 && typeof err.errno === 'number' && typeof err.code === 'string')
        return new MalformedJsonError(`Request body could not be decompressed: ${err.message ?? err.code}`);
      return undefined;
    default:
      return undefined;
  }
}

export function errorHandler(metrics: Metrics): ErrorRequestHandler {
  return function errorHandlerMiddleware(err, req, res, next) {
    if (res.headersSent) {
      next(err);
      return;
    }
    sendError(res, fromFramework(err) ?? err, metrics, req.log);
  };
}
