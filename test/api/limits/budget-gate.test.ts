import { expect } from 'chai';
import type { RouteTarget } from '../../../api/src/backends/backend.js';
import type { CatalogModel } from '../../../api/src/catalog/catalog.js';
import { loadConfig } from '../../../api/src/config.js';
import { BudgetExceededError } from '../../../api/src/errors.js';
import { generation } from '../../../api/src/inference/operations.js';
import { BudgetGate, loadBudgets } from '../../../api/src/limits/budget-gate.js';
import { type BudgetStore, MemoryBudgetStore } from '../../../api/src/limits/budget-store.js';
import { parseSpendLimits, parseTokenLimits } from '../../../api/src/limits/budgets.js';
import { createMetrics } from '../../../api/src/metrics/registry.js';

const model = (name: string, pricing?: { inputPer1kTokens: number; outputPer1kTokens: number }) =>
  ({
    name,
    spec: {
      provider: 'openai',
      capabilities: ['chat'],
      ...(pricing ? { pricing: { ...pricing, currency: 'USD' } } : {}),
    },
  }) as unknown as CatalogModel;
const priced = model('priced', { inputPer1kTokens: 1, outputPer1kTokens: 2 });
const cheap = model('cheap', { inputPer1kTokens: 0.1, outputPer1kTokens: 0.1 });
// 40 characters: 10 prompt tokens.
const ask = (maxTokens: number, caller = 'alice', m = priced) => ({
  requestId: 'r',
  caller,
  model: m,
  op: generation({ kind: 'completion', prompt: 'x'.repeat(40) }, { maxTokens }),
});
const used = (inputTokens: number, outputTokens: number, m = priced, cacheHit = false) => ({
  target: { model: m } as RouteTarget,
  inputTokens,
  outputTokens,
  cacheHit,
});
const refusal = async (promise: Promise<unknown>): Promise<BudgetExceededError> => {
  try {
    await promise;
  } catch (err) {
    if (err instanceof BudgetExceededError) return err;
    throw err;
  }
  throw new Error('not refused');
};
const settled = () => new Promise((r) => setImmediate(r));

describe('api/limits/budget-gate', () => {
  // 60 s windows starting at a window boundary: nothing slides during a test.
  const start = Date.UTC(2026, 11, 3, 12, 0, 0);
  let clock: number;
  let store: BudgetStore;
  let metrics: ReturnType<typeof createMetrics>;
  const gate = (tokens?: string, spend?: string, catalog: readonly CatalogModel[] = []) =>
    new BudgetGate({
      budgets: {
        ...(tokens ? { tokens: parseTokenLimits(tokens, 'T') } : {}),
        ...(spend ? { spend: parseSpendLimits(spend, 'S') } : {}),
      },
      store,
      windowMs: 60_000,
      metrics,
      now: () => clock,
      lookup: (name) => catalog.find((m) => m.name === name),
    });
  beforeEach(() => {
    clock = start;
    store = new MemoryBudgetStore({ now: () => clock });
    metrics = createMetrics();
  });

  it('reserves prompt + max_tokens and refuses what does not fit with 429, Retry-After and x-ratelimit-*', async () => {
    const g = gate('alice=100');
    await g.enter(ask(50)); // 60 reserved, not settled
    clock += 15_000;
    const err = await refusal(g.enter(ask(40))); // 50 > 40 remaining
    expect(err.status).to.equal(429);
    expect(err.code).to.equal('token_limit_exceeded');
    // The current window's 60 must slide: the next one starts in 45 s, and 60·w + 50 ≤ 100 at w = 5/6.
    expect(err.retryAfterSeconds).to.equal(55);
    expect(err.headers).to.deep.equal({
      'x-ratelimit-limit-tokens': '100',
      'x-ratelimit-remaining-tokens': '40',
      'x-ratelimit-reset-tokens': '1m45s',
    });
    expect(err.details).to.deep.include({
      caller: 'alice',
      budget: 'tokens',
      limit: 100,
      remaining: 40,
      requested: 50,
    });
    expect((await metrics.budgetRefused.get()).values).to.deep.equal([
      { value: 1, labels: { caller: 'alice', budget: 'tokens' } },
    ]);
  });

  it('settles with the real usage: what was not used is free again', async () => {
    const g = gate('alice=100');
    const pass = await g.enter(ask(80)); // 90 reserved
    await refusal(g.enter(ask(20)));
    pass.settle(used(10, 5)); // 15 really used
    await settled();
    await g.enter(ask(75)); // 15 + 85 = 100
    await refusal(g.enter(ask(0)));
  });

  it('a failure or a cache hit gives the whole reservation back; usage beyond it is counted', async () => {
    const g = gate('alice=100');
    (await g.enter(ask(80))).settle(undefined);
    (await g.enter(ask(80))).settle(used(0, 0, priced, true));
    await settled();
    const over = await g.enter(ask(10)); // 20 reserved
    over.settle(used(10, 70)); // 80 used
    await settled();
    const err = await refusal(g.enter(ask(20)));
    expect(err.details).to.deep.include({ remaining: 20 });
  });

  it('a request larger than the whole limit is refused without Retry-After (waiting cannot help)', async () => {
    const err = await refusal(gate('*=100').enter(ask(500, 'bob')));
    expect(err.retryAfterSeconds).to.equal(undefined);
    expect(err.retryable).to.equal(false);
    expect(err.message).to.match(/510 tokens .*more than the limit of 100 tokens per 60 s for bob/);
    expect((await metrics.budgetRefused.get()).values[0]?.labels).to.deep.equal({
      caller: '*',
      budget: 'tokens',
    });
  });

  it('callers without a limit pass without a reservation', async () => {
    const g = gate('alice=10');
    for (let i = 0; i < 3; i++) (await g.enter(ask(1000, 'bob'))).settle(undefined);
  });

  it('spend: the estimate priced with the model, per UTC day, until the day ends', async () => {
    // 10 prompt + 40 output tokens on priced: 0.01 + 0.08 = 0.09 USD.
    const g = gate(undefined, 'alice=0.2/day');
    const first = await g.enter(ask(40));
    await g.enter(ask(40));
    const err = await refusal(g.enter(ask(40)));
    expect(err.code).to.equal('spend_limit_exceeded');
    expect(err.retryAfterSeconds).to.equal(12 * 3600);
    expect(err.details).to.deep.include({
      budget: 'spend',
      limit: 0.2,
      period: 'day',
      spent: 0.18,
      requested: 0.09,
    });
    // Settled on the target that served it (a cheaper fallback): 50 tokens at 0.1 per 1k.
    first.settle(used(10, 40, cheap));
    await settled();
    await g.enter(ask(40));
    // The next day starts from nothing.
    clock = Date.UTC(2026, 11, 4, 0, 0, 1);
    for (let i = 0; i < 2; i++) await g.enter(ask(40));
  });

  it('spend: models without pricing cost nothing', async () => {
    const g = gate(undefined, 'alice=0.01/month');
    for (let i = 0; i < 3; i++) await g.enter(ask(1000, 'alice', model('free')));
  });

  it('spend: a request is reserved at the priciest model that may serve it, its fallbacks included', async () => {
    // A free model whose fallback is priced: reserved at 0, it passed however far the fallback had spent.
    const free = model('local');
    const local = { ...free, spec: { ...free.spec, fallbacks: ['gone', 'local', 'cheap'] } } as CatalogModel;
    const middle = { ...cheap, spec: { ...cheap.spec, fallbacks: ['priced'] } } as CatalogModel;
    const g = gate(undefined, 'alice=0.2/day', [local, middle, priced]);
    const first = await g.enter(ask(40, 'alice', local)); // 0.09 reserved (priced, via cheap)
    first.settle(used(10, 40, priced)); // the fallback served it
    await settled();
    await g.enter(ask(40, 'alice', local));
    const err = await refusal(g.enter(ask(40, 'alice', local)));
    expect(err.details).to.deep.include({ budget: 'spend', spent: 0.18, requested: 0.09 });
  });

  it('tokens and spend are reserved together or not at all', async () => {
    const g = gate('alice=1000', 'alice=0.1/day');
    await g.enter(ask(40)); // 50 tokens, 0.09 USD
    const err = await refusal(g.enter(ask(40)));
    expect(err.code).to.equal('spend_limit_exceeded');
    // The refused request took no tokens: 50 + 950 fit.
    await g.enter(ask(940, 'alice', model('free')));
  });

  it('lets requests through when the store cannot answer', async () => {
    const down: BudgetStore = {
      reserve: async () => undefined,
      adjust: async () => undefined,
      close: async () => undefined,
    };
    store = down;
    const pass = await gate('alice=1').enter(ask(100));
    pass.settle(used(1, 1));
  });

  it('loadBudgets: nothing declared, both, and config errors naming the entry', () => {
    expect(loadBudgets(loadConfig({}))).to.equal(undefined);
    const both = loadBudgets(loadConfig({ ROUTER_TOKEN_LIMITS: 'a=5', ROUTER_SPEND_LIMITS: '*=1/month' }));
    expect(both?.tokens?.byCaller.get('a')).to.equal(5);
    expect(both?.spend?.fallback).to.deep.equal([{ amount: 1, period: 'month' }]);
    expect(() => loadBudgets(loadConfig({ ROUTER_SPEND_LIMITS: 'a=1/week' }))).to.throw(
      /Invalid configuration: ROUTER_SPEND_LIMITS entry 1 \(a=1\/week\)/,
    );
  });
});
