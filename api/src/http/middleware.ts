/**
 * Express's part of the request plumbing: request ids and logs, access logs and HTTP metrics, 404/405, and
 * the error handler for what fails outside a route's pipeline (pipeline.ts runs the rest).
 * @module
 */
import { randomUUID } from 'node:crypto';
import type { ErrorRequestHandler, Request, RequestHandler } from 'express';
import type { Logger } from 'pino';
import { type ApiError, RouteNotFoundError } from '../errors.js';
import type { Metrics } from '../metrics/registry.js';
import { InvalidPathError } from './request-errors.js';
import { sendError } from './respond.js';

declare global {
  namespace Express {
    interface Request {
      id: string;
      log: Logger;
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

export function notFound(): RequestHandler {
  return function notFoundHandler(req, _res, next) {
    next(new RouteNotFoundError(`No route for ${req.method} ${req.path}`));
  };
}

/**
 * What Express throws for a bad request, as the ApiError it is: a path parameter that is not valid
 * percent-encoding (the router's URIError, status 400). Bodies are read by the pipeline (json-body.ts).
 */
function fromFramework(err: unknown): ApiError | undefined {
  if (err instanceof URIError && (err as { status?: number }).status === 400)
    return new InvalidPathError(`The path is not valid percent-encoding: ${err.message}`);
  return undefined;
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
