/**
 * The dashboard over plain HTTP, from a router composed in-process: the page and every asset it loads are
 * served from the package with a Content-Security-Policy that allows scripts, styles and requests from the
 * router's own origin only, and no asset names a remote URL (nothing comes from a CDN).
 */
import { expect } from 'chai';
import { startRouter, type TestRouter } from '../api/router/harness.js';

describe('dashboard: the page and its assets come from the router itself', function () {
  this.timeout(30_000);
  let router: TestRouter;

  before(async () => {
    router = await startRouter([], { ROUTER_API_KEYS: 'viewer:sk-dash-viewer-0123456789' });
  });
  after(async () => {
    await router?.close();
  });

  /** Every same-origin path the page loads: its link and script tags, then the modules' imports. */
  async function assetPaths(html: string): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const queue = [...html.matchAll(/(?:src|href)="(\/dashboard\/assets\/[^"]+)"/g)].map(
      (m) => m[1] as string,
    );
    while (queue.length) {
      const path = queue.shift() as string;
      if (found.has(path)) continue;
      const res = await fetch(`${router.url}${path}`);
      expect(res.status, path).to.equal(200);
      expect(res.headers.get('content-security-policy'), path).to.include("script-src 'self'");
      const text = await res.text();
      found.set(path, text);
      for (const m of text.matchAll(/(?:^|\n)\s*import\s[^'"]*['"](\.\/[^'"]+)['"]/g)) {
        queue.push(new URL(m[1] as string, `http://x${path}`).pathname);
      }
    }
    return found;
  }

  it('serves /dashboard as HTML, without a key, under a CSP that forbids remote scripts', async () => {
    const res = await fetch(`${router.url}/dashboard`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-type')).to.match(/^text\/html/);
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).to.include("default-src 'none'");
    expect(csp).to.include("script-src 'self'");
    expect(csp).to.include("connect-src 'self'");
    expect(csp).not.to.match(/https?:|\*|unsafe-inline|unsafe-eval/);
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(await res.text()).to.include('<script type="module" src="/dashboard/assets/dashboard.js">');
  });

  it('serves every asset the page loads, uPlot included, with no remote URL in any of them', async () => {
    const html = await (await fetch(`${router.url}/dashboard`)).text();
    const assets = await assetPaths(html);
    expect([...assets.keys()]).to.include.members([
      '/dashboard/assets/vendor/uPlot.min.css',
      '/dashboard/assets/vendor/uPlot.esm.js',
      '/dashboard/assets/dashboard.js',
      '/dashboard/assets/charts.js',
      '/dashboard/assets/api.js',
    ]);
    for (const [path, text] of [['/dashboard', html], ...assets] as [string, string][]) {
      // Comments may cite web pages (uPlot's do) and an SVG namespace is an identifier, not something
      // fetched; any other URL with a host could be loaded.
      const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/(^|\s)\/\/.*$/gm, '$1');
      const remote = code.match(/(?:https?:)?\/\/[a-z0-9.-]+\.[a-z]{2,}[^\s'"]*/gi) ?? [];
      expect(
        remote.filter((u) => !u.startsWith('http://www.w3.org/')),
        path,
      ).to.deep.equal([]);
    }
  });

  it('answers 404 in the one error shape for an asset that is not in the package', async () => {
    for (const path of [
      '/dashboard/assets/nope.js',
      '/dashboard/assets/vendor/uPlot.cjs.js',
      '/dashboard/assets/..%2Fdashboard.ts',
    ]) {
      const res = await fetch(`${router.url}${path}`);
      expect(res.status, path).to.equal(404);
      expect(((await res.json()) as { error: { code: string } }).error.code, path).to.be.a('string');
    }
  });
});
