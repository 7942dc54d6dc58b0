/**
 * The rows of the router dashboard about what requests use and what stops them: cache, tokens and cost,
 * limits and guardrails, batch jobs.
 * @module
 */
import type { RowSpec } from './grafana.js';

export const N = 'namespace=~"$namespace"';
export const NM = `${N}, model=~"$model"`;
export const rate = (metric: string, selector: string) => `rate(${metric}{${selector}}[$__rate_interval])`;

export const routerUsageRows: RowSpec[] = [
  {
    row: 'Cache',
    panels: [
      {
        title: 'Cache hit rate',
        description: 'Hits over hits and misses of the response cache.',
        unit: 'percentunit',
        kind: 'stat',
        queries: [
          {
            expr: `sum(${rate('router_cache_lookups_total', `${N}, result="hit"`)}) / sum(${rate('router_cache_lookups_total', `${N}, result=~"hit|miss"`)})`,
            legend: 'hit rate',
          },
        ],
      },
      {
        title: 'Cache lookups by result',
        description:
          'hit, miss, or error (the store failed and the request went on without it; router_redis_errors_total says which operation).',
        unit: 'ops',
        stack: true,
        queries: [
          { expr: `sum by (result) (${rate('router_cache_lookups_total', N)})`, legend: '{{result}}' },
        ],
      },
    ],
  },
  {
    row: 'Tokens and cost',
    panels: [
      {
        title: 'Tokens per second by model',
        description: 'Input (prompt) and output (completion) tokens, by serving model and version.',
        unit: 'short',
        queries: [
          {
            expr: `sum by (model, direction) (${rate('router_tokens_total', NM)})`,
            legend: '{{model}} {{direction}}',
          },
        ],
      },
      {
        title: 'Estimated spend per hour',
        description: 'Spend from AIModel pricing, by serving model and currency, as an hourly rate.',
        unit: 'short',
        queries: [
          {
            expr: `sum by (model, currency) (${rate('router_cost_total', NM)}) * 3600`,
            legend: '{{model}} {{currency}}',
          },
        ],
      },
      {
        title: 'Spend over the time range',
        description: 'Estimated spend in the selected time range, by currency.',
        unit: 'short',
        kind: 'stat',
        queries: [
          {
            expr: `sum by (currency) (increase(router_cost_total{${NM}}[$__range]))`,
            legend: '{{currency}}',
          },
        ],
      },
    ],
  },
  {
    row: 'Limits and guardrails',
    panels: [
      {
        title: 'Rate-limit refusals by caller',
        description:
          'Requests refused 429 by a request rate limit (* is every caller without a limit of its own).',
        unit: 'reqps',
        queries: [
          { expr: `sum by (caller) (${rate('router_rate_limited_total', N)})`, legend: '{{caller}}' },
        ],
      },
      {
        title: 'Budget refusals by caller and budget',
        description:
          'Requests refused because a token or spend budget is spent (alert: PaissiveRouterBudgetExhausted).',
        unit: 'reqps',
        queries: [
          {
            expr: `sum by (caller, budget) (${rate('router_budget_refused_total', N)})`,
            legend: '{{caller}} {{budget}}',
          },
        ],
      },
      {
        title: 'Guardrail interventions',
        description: 'Blocks and redactions by model, rule and direction (input, output).',
        unit: 'ops',
        queries: [
          {
            expr: `sum by (model, rule, direction, action) (${rate('router_guardrail_interventions_total', NM)})`,
            legend: '{{model}} {{rule}} {{direction}} {{action}}',
          },
        ],
      },
    ],
  },
  {
    row: 'Batch jobs',
    panels: [
      {
        title: 'Batch queue items by state',
        description: 'Items waiting, active or delayed in the shared job queue.',
        unit: 'short',
        queries: [{ expr: `max by (state) (router_batch_queue_items{${N}})`, legend: '{{state}}' }],
      },
      {
        title: 'Batch items finished by outcome',
        description: 'Items succeeded, failed or cancelled, and items in flight across workers.',
        unit: 'ops',
        queries: [
          { expr: `sum by (outcome) (${rate('router_batch_items_total', N)})`, legend: '{{outcome}}' },
          { expr: `sum(router_batch_items_running{${N}})`, legend: 'running' },
        ],
      },
      {
        title: 'Batch jobs submitted and finished',
        description: 'Jobs accepted, and jobs reaching a final state (completed, failed, cancelled).',
        unit: 'ops',
        queries: [
          { expr: `sum(${rate('router_batch_jobs_submitted_total', N)})`, legend: 'submitted' },
          { expr: `sum by (state) (${rate('router_batch_jobs_finished_total', N)})`, legend: '{{state}}' },
        ],
      },
    ],
  },
];
