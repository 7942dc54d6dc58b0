/**
 * The lean path for inference routes (those declared `hot`): served on node:http directly, without
 * Express's router and request/response decoration, through the same pipeline as every route
 * (pipeline.ts: caller, admission, body, validation, handler, one error mapper), with the same request
 * id, access log and metrics. Everything else goes to Express. What this saves per request is measured in
 * bench/router.
 * @module
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { logFinished, requestIdFrom } from './middleware.js';
import { type PipelineDeps, runPipeline } from './pipeline.js';
import type { AnyRoute } from './route.js';

export interface HotRouteOptions extends PipelineDeps {
  readonly routes: readonly AnyRoute[];
  readonly logger: Logger;
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
    const path = q === -1 ? url : url.slice(0, q);
    // One trailing slash is the same path, as on Express's routes (else its 405 table answers "use POST").
    const def = byPath.get(path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path);
    if (!def) return false;
    void serve(def, req, res, options);
    return true;
  };
}

async function serve(def: AnyRoute, req: IncomingMessage, res: ServerResponse, options: HotRouteOptions) {
  const receivedAt = performance.now();
  const requestId = requestIdFrom(req.headers['x-request-id']);
  res.setHeader('x-request-id', requestId);
  let log: Logger | undefined;
  const requestLog = () => {
    log ??= options.logger.child({ requestId });
    return log;
  };
  res.once('finish', () =>
    logFinished(options.metrics, requestLog, {
      method: 'POST',
      path: def.path,
      route: def.path,
      status: res.statusCode,
      startedAt: receivedAt,
    }),
  );
  await runPipeline(def, options, {
    req,
    res,
    requestId,
    log: requestLog,
    params: {},
    query: undefined,
    receivedAt,
  });
}
