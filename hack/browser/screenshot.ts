/**
 * Takes docs/dashboard.png: local mode from examples/ with two callers' keys, some real traffic to every
 * ready model (a model with an 80/20 split among them, and a batch job the page follows) while the page polls every 2 s, then a full-page shot 1280 wide with
 * Debian's chromium. Run: npx tsx hack/browser/screenshot.ts [out.png]   (needs make models, make browser-tools)
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { writeCanary } from '../../test/dashboard/canary.js';
import { eventually, startLocalRouter } from '../../test/e2e/local-router.js';

const OPS = 'sk-shot-ops-0123456789';
const APP = 'sk-shot-app-0123456789';
const out = process.argv[2] ?? 'docs/dashboard.png';

const router = await startLocalRouter({
  ROUTER_API_KEYS: `ops:${OPS}:models:admin,usage:all,jobs:all,inference,batch,web-app:${APP}`,
});
const profile = await mkdtemp(join(tmpdir(), 'dashboard-shot-'));
const post = async (key: string, path: string, body: unknown) =>
  (await fetch(`${router.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  }).then((r) => r.json())) as { job_id?: string };
const traffic = (key: string, i: number) =>
  Promise.all([
    post(key, '/api/inference/analyze', {
      model_id: 'sentiment',
      task: 'classify',
      input: [`take ${i}: fine`],
    }),
    post(key, '/api/inference/analyze', { model_id: 'canary', task: 'classify', input: [`canary ${i}`] }),
    post(key, '/api/inference/analyze', {
      model_id: 'sentence-embedder',
      task: 'embed',
      input: [`line ${i}`],
    }),
    post(key, '/api/inference/text', {
      model_id: 'story-writer',
      input: `Tom had a ${i % 3 ? 'red' : 'blue'}`,
      parameters: { max_tokens: 8 },
    }),
  ]);
try {
  await eventually(
    async () => ((await fetch(`${router.url}/readyz`)).ok ? true : undefined),
    'readyz',
    60_000,
  );
  // A model with an 80/20 split between two versions, added while the router runs (local mode reloads).
  await writeCanary(router.dir);
  await eventually(
    async () => {
      const res = await fetch(`${router.url}/api/models/canary`, {
        headers: { authorization: `Bearer ${OPS}` },
      });
      return res.ok && ((await res.json()) as { versions_ready: number }).versions_ready === 2
        ? true
        : undefined;
    },
    'canary ready',
    60_000,
  );
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    viewport: { width: 1280, height: 800 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
    ],
  });
  const page = await browser.newPage();
  await page.goto(`${router.url}/dashboard`);
  await page.fill('#key', OPS);
  await page.click('#key-form button[type=submit]');
  await page.selectOption('#interval', '2');
  const job = await post(APP, '/api/inference/batch', {
    requests: Array.from({ length: 40 }, (_, i) => ({
      type: 'text',
      model_id: 'story-writer',
      input: `Mia saw ${i}`,
    })),
  });
  await page.fill('#job-id', job.job_id ?? '');
  await page.click('#job-form button[type=submit]');
  // The shot is taken while traffic still flows, so the live columns show it.
  const load = (async () => {
    for (let i = 0; i < 80; i++) {
      await traffic(i % 3 ? APP : OPS, i);
      await new Promise((r) => setTimeout(r, 150 + (i % 10) * 40));
    }
  })();
  await page.waitForTimeout(25_000);
  await page.evaluate('scrollTo(0, 0)');
  await page.screenshot({ path: out, fullPage: true });
  await load;
  await browser.close();
  console.log(`wrote ${out}`);
} finally {
  await router.stop();
  await rm(profile, { recursive: true, force: true });
}
