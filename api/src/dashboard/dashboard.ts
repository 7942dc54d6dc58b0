/**
 * The monitoring dashboard at /dashboard: a static page whose scripts read the router's own REST API with the
 * viewer's key, so the page itself needs no key and holds no data. Every file it loads comes from this package
 * (its own assets and uPlot's dist files from node_modules), read once at start-up; the Content-Security-Policy
 * forbids anything from elsewhere, so a page served by the router cannot be made to run a remote script.
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { type Response, Router } from 'express';
import { findUp } from '../../../runtime/src/find-up.js';

/** Scripts, styles and requests only from this origin; no plugins, frames, forms or base-URL changes. */
const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

export interface Asset {
  readonly body: Buffer;
  readonly type: string;
}

/** The chart library's files, served under /dashboard/assets/vendor/ from wherever npm installed them. */
const VENDOR: Readonly<Record<string, string>> = {
  'uPlot.esm.js': 'uplot/dist/uPlot.esm.js',
  'uPlot.min.css': 'uplot/dist/uPlot.min.css',
};

/**
 * Every file the page may load, by its path under /dashboard/assets/ (index.html included). The assets
 * directory is found by walking up, so the same code serves it under tsx and from dist/ (find-up.ts).
 */
export function dashboardAssets(): ReadonlyMap<string, Asset> {
  const dir = findUp(import.meta.url, 'api/src/dashboard/assets');
  const assets = new Map<string, Asset>();
  for (const name of readdirSync(dir)) {
    const type = TYPES[extname(name)];
    if (type) assets.set(name, { body: readFileSync(join(dir, name)), type });
  }
  const require = createRequire(import.meta.url);
  for (const [name, specifier] of Object.entries(VENDOR)) {
    const path = require.resolve(specifier);
    assets.set(`vendor/${name}`, { body: readFileSync(path), type: TYPES[extname(name)] as string });
  }
  return assets;
}

function send(res: Response, asset: Asset): void {
  res.set({
    'content-type': asset.type,
    'content-security-policy': DASHBOARD_CSP,
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // Small files, read from memory: revalidating costs nothing and a new router version shows at once.
    'cache-control': 'no-cache',
  });
  res.send(asset.body);
}

/** GET /dashboard (the page) and GET /dashboard/assets/... (its scripts and styles); unknown names fall through to 404. */
export function dashboardRouter(assets: ReadonlyMap<string, Asset> = dashboardAssets()): Router {
  const router = Router();
  const page = assets.get('index.html');
  if (!page) throw new Error('the dashboard assets hold no index.html (a broken install)');
  router.get(['/dashboard', '/dashboard/'], (_req, res) => send(res, page));
  const asset = (name: string | undefined, res: Response, next: () => void): void => {
    const found = name && name !== 'index.html' ? assets.get(name) : undefined;
    if (found) send(res, found);
    else next();
  };
  router.get('/dashboard/assets/vendor/:name', (req, res, next) =>
    asset(`vendor/${req.params.name}`, res, next),
  );
  router.get('/dashboard/assets/:name', (req, res, next) => asset(req.params.name, res, next));
  return router;
}
