import { expect } from 'chai';
import { requestCost } from '../../../api/src/metering/cost.js';
import { MemoryUsageStore } from '../../../api/src/metering/memory-usage-store.js';
import {
  costReport,
  defaultWindow,
  performanceReport,
  projectMonth,
  usageReport,
} from '../../../api/src/metering/reports.js';
import { incrementsOf, type UsageEvent } from '../../../api/src/metering/usage.js';

const event = (e: Partial<UsageEvent>): UsageEvent => ({
  at: new Date('2026-11-26T10:15:00Z'),
  caller: 'anonymous',
  requestedModel: 'a',
  servedModel: 'a',
  servedVersion: 'v1',
  ok: true,
  fallback: false,
  latencyMs: 100,
  inputTokens: 10,
  outputTokens: 20,
  cost: { amount: 0.01, currency: 'USD' },
  ...e,
});

describe('api/metering', () => {
  it('requestCost: tokens/1000 × price per 1k, in the model currency', () => {
    expect(
      requestCost({ inputPer1kTokens: 0.5, outputPer1kTokens: 1.5, currency: 'EUR' }, 2000, 1000),
    ).to.deep.equal({
      amount: 2.5,
      currency: 'EUR',
    });
    expect(requestCost(undefined, 1, 1)).to.equal(undefined);
    expect(
      requestCost({ inputPer1kTokens: 0.1, outputPer1kTokens: 0.2, currency: 'USD' }, 1000, 1000)?.amount,
    ).to.equal(0.3);
  });

  it('a fallback counts as a request of the model asked for, and as tokens of the model that served', () => {
    const incs = incrementsOf(
      event({ requestedModel: 'a', servedModel: 'b', servedVersion: 'v9', fallback: true }),
    );
    expect(
      incs.map((i) => [
        i.model,
        i.version,
        i.values.requests ?? 0,
        i.values.fallbacks ?? 0,
        i.values.inputTokens ?? 0,
      ]),
    ).to.deep.equal([
      ['a', '', 1, 1, 0],
      ['b', 'v9', 0, 0, 10],
    ]);
  });

  it('a failed request counts as an error of the model asked for and consumes nothing', () => {
    const incs = incrementsOf(
      event({
        ok: false,
        servedModel: undefined,
        servedVersion: undefined,
        inputTokens: 0,
        outputTokens: 0,
        cost: undefined,
      }),
    );
    expect(incs).to.have.length(1);
    expect(incs[0]?.values).to.include({ requests: 1, errors: 1 });
  });

  it('performanceReport: rates, averages, and every hour of the window in the series', async () => {
    const store = new MemoryUsageStore(30);
    await store.record(event({}));
    await store.record(
      event({
        ok: false,
        servedModel: undefined,
        latencyMs: 300,
        inputTokens: 0,
        outputTokens: 0,
        cost: undefined,
      }),
    );
    await store.record(event({ requestedModel: 'a', servedModel: 'b', fallback: true, latencyMs: 200 }));
    const window = defaultWindow('hourly', new Date('2026-11-26T10:30:00Z'));
    const report = performanceReport(await store.buckets({ ...window, model: 'a' }), window);
    expect(report).to.include({
      requests_count: 3,
      tokens_input: 10,
      tokens_output: 20,
      avg_response_time_ms: 200,
      error_rate: 0.3333,
      fallback_rate: 0.3333,
      estimated_cost: 0.01,
    });
    expect(report.series).to.have.length(24);
    expect(report.series.at(-1)).to.include({ start: '2026-11-26T10:00:00.000Z', requests_count: 3 });
  });

  it('usageReport counts requests by the model asked for and tokens by the one that served; costReport spend by the one that served', async () => {
    const store = new MemoryUsageStore(30);
    await store.record(event({}));
    await store.record(
      event({
        requestedModel: 'a',
        servedModel: 'b',
        fallback: true,
        cost: { amount: 0.5, currency: 'USD' },
      }),
    );
    const window = defaultWindow('daily', new Date('2026-11-26T12:00:00Z'));
    const buckets = await store.buckets(window);
    const usage = usageReport(buckets, window);
    expect(usage.totals).to.deep.equal({
      requests: 2,
      outcomes: { success: 2, cache_hit: 0, error: 0 },
      input_tokens: 20,
      output_tokens: 40,
      total_tokens: 60,
    });
    expect(
      usage.models.map((m) => [m.model_id, m.requests, m.served_by, m.total_tokens]).sort(),
    ).to.deep.equal([
      [
        'a',
        2,
        [
          { model_id: 'a', requests: 1 },
          { model_id: 'b', requests: 1 },
        ],
        30,
      ],
      ['b', 0, [], 30],
    ]);
    const cost = costReport(buckets, window);
    expect(cost.totals).to.deep.equal([{ currency: 'USD', amount: 0.51 }]);
    expect(cost.models[0]).to.include({ model_id: 'b', cost: 0.5 });
    expect(cost.models[0]?.series).to.have.length(7);
  });

  it('usageReport and costReport break tokens and spend down by API caller', async () => {
    const store = new MemoryUsageStore(30);
    await store.record(event({ caller: 'search-team' }));
    await store.record(event({ caller: 'search-team', cost: { amount: 0.02, currency: 'USD' } }));
    await store.record(
      event({ caller: 'support-bot', inputTokens: 100, cost: { amount: 0.5, currency: 'USD' } }),
    );
    await store.record(
      event({ caller: 'support-bot', ok: false, inputTokens: 0, outputTokens: 0, cost: undefined }),
    );
    const window = defaultWindow('daily', new Date('2026-11-26T12:00:00Z'));
    const buckets = await store.buckets(window);
    expect(usageReport(buckets, window).callers).to.deep.equal([
      { caller: 'support-bot', requests: 2, input_tokens: 100, output_tokens: 20, total_tokens: 120 },
      { caller: 'search-team', requests: 2, input_tokens: 20, output_tokens: 40, total_tokens: 60 },
    ]);
    expect(costReport(buckets, window).callers.map((c) => [c.caller, c.costs])).to.deep.equal([
      ['support-bot', [{ currency: 'USD', amount: 0.5 }]],
      ['search-team', [{ currency: 'USD', amount: 0.03 }]],
    ]);
  });

  it('projectMonth: month to date plus recent daily spend times the days left', async () => {
    const store = new MemoryUsageStore(60);
    // 1.0 USD per day on Nov 20..26 (7 days), nothing before.
    for (let day = 20; day <= 26; day++) {
      await store.record(
        event({ at: new Date(Date.UTC(2026, 10, day, 0, 30)), cost: { amount: 1, currency: 'USD' } }),
      );
    }
    const now = new Date(Date.UTC(2026, 10, 27, 0, 30));
    const buckets = await store.buckets({ from: new Date(Date.UTC(2026, 10, 1)), to: now });
    const p = projectMonth(buckets, now);
    expect(p.month).to.equal('2026-11');
    expect(p.days_in_month).to.equal(30);
    expect(p.month_to_date).to.deep.equal([{ currency: 'USD', amount: 7 }]);
    // 7 USD over the last 7 days = 1/day; 3.979 days left → 7 + 3.979 ≈ 10.98
    expect(p.projected_total[0]?.amount).to.be.closeTo(10.98, 0.01);
  });
});
