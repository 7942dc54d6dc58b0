/**
 * The dashboard in a real browser: Debian's chromium driven by playwright-core, against local mode started
 * as a user starts it (examples/, real runtimes) with router API keys. The page lists the examples with their
 * readiness; after real inference traffic the request-rate chart draws that traffic (the values uPlot holds,
 * per model and version); a wrong key is refused with the router's message; a usage:own key sees only its
 * own usage; a followed batch job shows its progress.
 *
 * Skipped, saying why, only when /usr/bin/chromium is absent (`make browser-tools` installs it).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { eventually, type LocalRouter, startLocalRouter } from '../e2e/local-router.js';
import { writeCanary } from './canary.js';

const CHROMIUM = '/usr/bin/chromium';
const OPS = 'sk-dash-ops-0123456789';
const ALICE = 'sk-dash-alice-0123456789';
const BOB = 'sk-dash-bob-000123456789';

describe('dashboard: a real browser reads the router through the page', function () {
  this.timeout(120_000);
  let router: LocalRouter;
  let browser: BrowserContext;
  let profile: string;

  const post = async (key: string, path: string, body: unknown) => {
    const res = await fetch(`${router.url}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(res.status, `${path}: ${await res.clone().text()}`).to.be.oneOf([200, 202]);
    return (await res.json()) as any;
  };
  const classify = (key: string, input: string) =>
    post(key, '/api/inference/analyze', { model_id: 'sentiment', task: 'classify', input: [input] });

  /** A fresh page (its own sessionStorage) that has entered `key` and finished a poll with it. */
  async function openWith(key: string | undefined): Promise<Page> {
    // A new tab has its own sessionStorage: no key from an earlier test.
    const page = await browser.newPage();
    page.on('pageerror', (err) => {
      throw err;
    });
    await page.goto(`${router.url}/dashboard`);
    await page.waitForFunction(() => (globalThis as any).paissiveDashboard?.polls() >= 1);
    if (key !== undefined) {
      const polls = await page.evaluate(() => (globalThis as any).paissiveDashboard.polls());
      await page.fill('#key', key);
      await page.click('#key-form button[type=submit]');
      await page.waitForFunction((n) => (globalThis as any).paissiveDashboard.polls() > n, polls);
    }
    return page;
  }

  before(async function () {
    if (!existsSync(CHROMIUM)) {
      console.log(`      skipped: ${CHROMIUM} is absent (make browser-tools installs Debian's chromium)`);
      this.skip();
    }
    router = await startLocalRouter({
      ROUTER_API_KEYS: `ops:${OPS}:models:admin,usage:all,jobs:all,inference,batch,alice:${ALICE},bob:${BOB}`,
    });
    await eventually(
      async () => ((await fetch(`${router.url}/readyz`)).status === 200 ? true : undefined),
      'readyz',
      60_000,
    );
    profile = await mkdtemp(join(tmpdir(), 'dashboard-chromium-'));
    // A fresh profile: playwright passes it as --user-data-dir.
    browser = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      viewport: { width: 1280, height: 800 },
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  });
  after(async () => {
    await browser?.close();
    if (router?.process.exitCode === null) await router.stop();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  it('lists the example models with their readiness and the reason of those not ready', async () => {
    const page = await openWith(OPS);
    const row = (model: string) => page.locator(`#models-table tr.model[data-model="${model}"]`);
    for (const ready of ['story-writer', 'sentiment', 'sentence-embedder'])
      expect(await row(ready).locator('td:nth-child(2)').textContent(), ready).to.equal('Ready');
    // No OPENAI_API_KEY: the operator's reason is shown, not just "down".
    expect(await row('gpt-4o-mini').textContent()).to.include('Not ready: CredentialsMissing');
    const models = await page
      .locator('#models-table tr.model')
      .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-model')));
    expect(models).to.include.members(['story-writer', 'sentiment', 'sentence-embedder', 'gpt-4o-mini']);
    const v1 = await page
      .locator('#models-table tr.version[data-model="story-writer"][data-version="v1"]')
      .textContent();
    expect(v1).to.include('deprecated');
    expect(await row('story-writer').locator('td.traffic').textContent()).to.equal('v2=100');
    await page.close();
  });

  it('draws real traffic: after requests to sentiment its request-rate points rise, other models stay at 0', async () => {
    const page = await openWith(OPS);
    await page.selectOption('#interval', '2');
    for (let i = 0; i < 12; i++) await classify(OPS, `a fine film, take ${i}`);
    const drawn = await eventually(
      async () => {
        const d = await page.evaluate(() => (globalThis as any).paissiveDashboard.drawn());
        const sentiment: (number | null)[] = d['model-rate'].sentiment ?? [];
        return sentiment.some((v) => v !== null && v > 0) ? d : undefined;
      },
      'a drawn request rate for sentiment',
      20_000,
    );
    const peak = Math.max(...drawn['model-rate'].sentiment.filter((v: number | null) => v !== null));
    // 12 requests fell into one or two poll intervals of ~2 s each.
    expect(peak).to.be.within(12 / 8, 12 / 1);
    expect(
      Math.max(0, ...drawn['model-rate']['sentence-embedder'].filter((v: number | null) => v !== null)),
    ).to.equal(0);
    const byVersion = await eventually(async () => {
      const d = await page.evaluate(() => (globalThis as any).paissiveDashboard.drawn());
      const v1: (number | null)[] = d['version-rate']['sentiment/v1'] ?? [];
      return v1.some((v) => v !== null && v > 0) ? v1 : undefined;
    }, 'a drawn request rate for sentiment/v1');
    expect(byVersion.length).to.be.greaterThan(1);
    // The router's per-version figures of the last 5 minutes: the 12 requests, with a p95 latency.
    const windowRow = page.locator('#window-table tr[data-model="sentiment"][data-version="v1"] td');
    await eventually(async () => {
      const cells = await windowRow.allTextContents();
      return Number(cells[2]) >= 12 && Number(cells[6]) > 0 ? cells : undefined;
    }, 'the windowed figures of sentiment/v1');
    // Paused, the page stops polling until resumed.
    await page.click('#pause');
    const paused = await page.evaluate(() => (globalThis as any).paissiveDashboard.polls());
    await page.waitForTimeout(2500);
    expect(await page.evaluate(() => (globalThis as any).paissiveDashboard.polls())).to.equal(paused);
    await page.click('#pause');
    await page.waitForFunction((n) => (globalThis as any).paissiveDashboard.polls() > n, paused);
    await page.screenshot({
      path: process.env.DASHBOARD_SCREENSHOT ?? join(profile, 'dashboard.png'),
      fullPage: false,
    });
    await page.close();
  });

  it("shows a model's traffic split once its AIModel has spec.traffic", async () => {
    await writeCanary(router.dir);
    const page = await openWith(OPS);
    await page.selectOption('#interval', '2');
    const cell = page.locator('#models-table tr.model[data-model="canary"] td.traffic');
    await eventually(
      async () => ((await cell.textContent().catch(() => null)) === 'v1=80,v2=20' ? true : undefined),
      'the 80/20 split shown for canary',
      60_000,
    );
    await page.close();
  });

  it('refuses a wrong key with the 401 message and shows no figures', async () => {
    const page = await openWith('sk-dash-wrong-0123456789');
    const banner = page.locator('#auth-message');
    expect(await banner.isVisible()).to.equal(true);
    expect(await banner.textContent()).to.include('Key refused (401 unauthorized): The API key is not valid');
    expect(await page.locator('#models-table').count()).to.equal(0);
    await page.close();
  });

  it("shows a usage:own key only its own caller's usage; usage:all sees every caller", async () => {
    await classify(ALICE, 'alice liked it');
    await classify(BOB, 'bob did not');
    const callers = (page: Page) =>
      page
        .locator('#usage-callers tbody tr')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-caller')));
    const alice = await openWith(ALICE);
    expect(await callers(alice)).to.deep.equal(['alice']);
    expect(await alice.locator('#usage').textContent()).to.include("Your key's own figures (caller alice)");
    await alice.close();
    const ops = await openWith(OPS);
    expect(await callers(ops)).to.include.members(['alice', 'bob', 'ops']);
    await ops.close();
  });

  it('never stacks polls on a slow router: refreshes asked for while one runs wait for it', async () => {
    const page = await openWith(OPS);
    let inFlight = 0;
    let most = 0;
    let answered = 0;
    // A slow router for this page: each GET /api/models, the start of every poll, is held 1.5 s.
    await page.route('**/api/models', async (route) => {
      inFlight++;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await route.continue();
      inFlight--;
      answered++;
    });
    await page.selectOption('#interval', '2');
    for (let i = 0; i < 3; i++) await page.click('#now');
    await page.selectOption('#interval', '5');
    await eventually(async () => (answered >= 2 ? true : undefined), 'two polls through the slow router');
    expect(most).to.equal(1);
    await page.close();
  });

  it('follows a batch job by id and shows its progress', async () => {
    const job = await post(OPS, '/api/inference/batch', {
      requests: ['one', 'two', 'three'].map((input) => ({
        type: 'analyze',
        task: 'classify',
        model_id: 'sentiment',
        input: [input],
      })),
    });
    const page = await openWith(OPS);
    await page.fill('#job-id', job.job_id);
    await page.click('#job-form button[type=submit]');
    const row = page.locator(`#jobs-table tr[data-job="${job.job_id}"]`);
    await eventually(
      async () =>
        (await row.getAttribute('data-status').catch(() => null)) === 'completed' ? true : undefined,
      'the job completed on the page',
    );
    expect(await row.textContent()).to.include('3/3');
    expect(await row.locator('progress').evaluate((p) => (p as any).value)).to.equal(100);
    await page.close();
  });
});
