/**
 * The router's HTTP application: every route of the REST API, the operational endpoints, and the
 * middleware that gives each request an id, a log line, metrics and the one error shape. Inference routes
 * (`hot`) are served on the lean path (http/hot-routes.ts); Express serves the rest.
 * @module
 */
import { readFileSync } from 'node:fs';
import type { RequestListener } from 'node:http';
import express, { type Express, type Request, type Response } from 'express';
import { findUp } from '../../runtime/src/find-up.js';
import type { AppDeps } from './deps.js';
import { MethodNotAllowedError, ValidationError } from './errors.js';
import { hotRoutes } from './http/hot-routes.js';
import { accessLog, admitCaller, errorHandler, jsonBody, notFound, requestId } from './http/middleware.js';
import { sendResult } from './http/respond.js';
import { type AnyRoute, validated } from './http/route.js';
import { openApiDocument } from './openapi.js';
import { inferenceRoutes } from './routes/inference.js';
import { jobRoutes } from './routes/jobs.js';
import { metricsRoutes } from './routes/metrics.js';
import { modelRoutes } from './routes/models.js';
import { openAIRoutes } from './routes/openai.js';

const { version } = JSON.parse(readFileSync(findUp(import.meta.url, 'package.json'), 'utf8')) as {
  version: string;
};

export function apiRoutes(deps: AppDeps): AnyRoute[] {
  return [
    ...modelRoutes(deps),
    ...inferenceRoutes(deps),
    ...jobRoutes(deps),
    ...metricsRoutes(deps),
    ...openAIRoutes(deps),
  ];
}

function handlerFor(def: AnyRoute, deps: AppDeps) {
  return async function routeHandler(req: Request, res: Response): Promise<void> {
    const receivedAt = performance.now();
    if (def.body && req.body === undefined) {
      throw new ValidationError('Request body is required: send a JSON object', {
        problems: [{ path: 'body', message: 'required' }],
      });
    }
    const { body, query } = validated(def, req.body, { ...req.query });
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableEnded) abort.abort();
    });
    const result = await def.handler({
      headers: req.headers,
      body,
      query,
      params: req.params as Record<string, string>,
      requestId: req.id,
      caller: req.caller,
      log: req.log,
      signal: abort.signal,
      receivedAt,
    });
    await sendResult(res, result, receivedAt, deps.metrics);
  };
}

function operationalRoutes(app: Express, deps: AppDeps, routes: readonly AnyRoute[]): void {
  const document = openApiDocument(routes, version);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    const report = await deps.readiness();
    res.status(report.ready ? 200 : 503).json(report);
  });
  app.get('/metrics', async (_req, res) => {
    res.set('content-type', deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.get('/openapi.json', (_req, res) => {
    res.json(document);
  });
}

/** The HTTP entry point: hot inference routes on the lean path, everything else through Express. */
export function createApp(deps: AppDeps, options: { api?: boolean } = {}): RequestListener {
  const routes = (options.api ?? true) ? apiRoutes(deps) : [];
  const app = expressApp(deps, routes);
  const hot = hotRoutes({
    routes,
    logger: deps.logger,
    metrics: deps.metrics,
    maxBodyBytes: deps.config.MAX_BODY_BYTES,
    callerKeys: deps.callerKeys,
    ...(deps.admit ? { admit: deps.admit } : {}),
  });
  return (req, res) => {
    if (!hot(req, res)) app(req, res);
  };
}

function expressApp(deps: AppDeps, routes: readonly AnyRoute[]): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestId(deps.logger));
  app.use(accessLog(deps.metrics));

  const body = jsonBody(deps.config.MAX_BODY_BYTES);
  const admit = admitCaller(deps.callerKeys, deps.admit);
  for (const def of routes) {
    const parse = def.maxBodyBytes ? jsonBody(def.maxBodyBytes) : body;
    if (!def.hot) app[def.method](def.path, admit, ...(def.body ? parse : []), handlerFor(def, deps));
  }
  operationalRoutes(app, deps, routes);

  // A known path with the wrong method is a 405 that says which methods exist, not a 404.
  const methods = new Map<string, Set<string>>();
  for (const def of routes)
    methods.set(def.path, (methods.get(def.path) ?? new Set()).add(def.method.toUpperCase()));
  for (const [path, allowed] of methods) {
    app.all(path, (req, res, next) => {
      res.set('allow', [...allowed].join(', '));
      next(
        new MethodNotAllowedError(
          `${req.method} is not allowed on ${req.path}; use ${[...allowed].join(' or ')}`,
        ),
      );
    });
  }
  app.use(notFound());
  app.use(errorHandler(deps.metrics));
  return app;
}
