/**
 * The router's HTTP application: every route of the REST API, the operational endpoints, and the
 * middleware that gives each request an id, a log line, metrics and the one error shape.
 * @module
 */
import { readFileSync } from 'node:fs';
import express, { type Express, type Request, type Response } from 'express';
import { findUp } from '../../runtime/src/find-up.js';
import type { AppDeps } from './deps.js';
import { MethodNotAllowedError, ValidationError } from './errors.js';
import { accessLog, errorHandler, jsonBody, notFound, requestId } from './http/middleware.js';
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

/** Relays server-sent events, honouring back-pressure; stops early when the client goes away. */
async function writeEvents(res: Response, events: AsyncIterable<string>): Promise<void> {
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

function handlerFor(def: AnyRoute) {
  return async function routeHandler(req: Request, res: Response): Promise<void> {
    if (def.body && req.body === undefined) {
      throw new ValidationError('Request body is required: send a JSON object', {
        problems: [{ path: 'body', message: 'required' }],
      });
    }
    const { body, query } = validated(def, req);
    const abort = new AbortController();
    res.on('close', () => {
      if (!res.writableEnded) abort.abort();
    });
    const result = await def.handler({
      req,
      res,
      body,
      query,
      params: req.params as Record<string, string>,
      requestId: req.id,
      log: req.log,
      signal: abort.signal,
    });
    if (result.headers) res.set(result.headers);
    if (result.events) {
      await writeEvents(res, result.events);
      return;
    }
    res.status(result.status ?? 200).json(result.body);
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

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestId(deps.logger));
  app.use(accessLog(deps.metrics));

  const routes = apiRoutes(deps);
  const body = jsonBody(deps.config.MAX_BODY_BYTES);
  for (const def of routes) app[def.method](def.path, ...(def.body ? body : []), handlerFor(def));
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
