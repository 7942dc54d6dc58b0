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
import { dashboardRouter } from './dashboard/dashboard.js';
import type { AppDeps } from './deps.js';
import { MethodNotAllowedError, UnauthorizedError } from './errors.js';
import { identifyCaller } from './http/callers.js';
import { hotRoutes } from './http/hot-routes.js';
import { accessLog, errorHandler, notFound, requestId } from './http/middleware.js';
import { type PipelineDeps, runPipeline } from './http/pipeline.js';
import type { AnyRoute } from './http/route.js';
import { hasScope } from './http/scopes.js';
import { openApiDocument } from './openapi.js';
import { readinessSummary } from './readiness.js';
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

function pipelineDeps(deps: AppDeps): PipelineDeps {
  return {
    callerKeys: deps.callerKeys,
    metrics: deps.metrics,
    maxBodyBytes: deps.config.MAX_BODY_BYTES,
    ...(deps.admit ? { admit: deps.admit } : {}),
    ...(deps.admitModelOperation ? { admitModelOperation: deps.admitModelOperation } : {}),
  };
}

/** An Express route runs the same pipeline as a lean one; Express gives it the id, log, params and query. */
function handlerFor(def: AnyRoute, pipeline: PipelineDeps) {
  return function routeHandler(req: Request, res: Response): Promise<void> {
    return runPipeline(def, pipeline, {
      req,
      res,
      requestId: req.id,
      log: () => req.log,
      params: req.params as Record<string, string>,
      query: { ...req.query },
      receivedAt: performance.now(),
    });
  };
}

/**
 * Whether a /readyz request may see the checks (they name runtime addresses): a key holding models:admin,
 * or anyone when no keys are configured. Any other request, an unknown key included, gets the short answer,
 * never a 401: probes send no key.
 */
function mayReadChecks(deps: AppDeps, req: Request): boolean {
  try {
    return hasScope(identifyCaller(deps.callerKeys, req.headers), 'models:admin');
  } catch (err) {
    if (err instanceof UnauthorizedError) return false;
    throw err;
  }
}

function operationalRoutes(app: Express, deps: AppDeps, routes: readonly AnyRoute[]): void {
  const document = openApiDocument(routes, version);
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (req, res) => {
    const report = await deps.readiness();
    res.status(report.ready ? 200 : 503).json(mayReadChecks(deps, req) ? report : readinessSummary(report));
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
  const hot = hotRoutes({ routes, logger: deps.logger, ...pipelineDeps(deps) });
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

  const pipeline = pipelineDeps(deps);
  for (const def of routes) if (!def.hot) app[def.method](def.path, handlerFor(def, pipeline));
  operationalRoutes(app, deps, routes);
  app.use(dashboardRouter());

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
