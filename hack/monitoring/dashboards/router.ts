/**
 * The router dashboard: traffic, errors, latency, routing (fallbacks, retries, circuits), cache, tokens and
 * cost, limits and guardrails, batch jobs (those four rows in router-usage.ts). Series from
 * api/src/metrics/registry.ts.
 * @module
 */
import { type DashboardSpec, quantiles } from './grafana.js';
import { N, NM, rate, routerUsageRows } from './router-usage.js';

const PROBES = 'route!~"/metrics|/healthz|/readyz"';

export const routerDashboard: DashboardSpec = {
  uid: 'paissive-router',
  title: 'paissive / Router',
  description:
    'Requests, errors, latency, fallbacks, cache, tokens, cost and refusals of the paissive router',
  variables: [
    { name: 'namespace', label: 'Namespace', query: 'label_values(router_http_requests_total, namespace)' },
    {
      name: 'model',
      label: 'Model',
      query: 'label_values(router_inference_requests_total{namespace=~"$namespace"}, model)',
    },
  ],
  rows: [
    {
      row: 'Traffic',
      panels: [
        {
          title: 'Requests per second by route',
          description: 'HTTP requests answered by route template (probes and /metrics left out).',
          unit: 'reqps',
          stack: true,
          queries: [
            {
              expr: `sum by (route) (${rate('router_http_requests_total', `${N}, ${PROBES}`)})`,
              legend: '{{route}}',
            },
          ],
        },
        {
          title: 'Inference requests by model and outcome',
          description:
            'Inference requests by the model asked for: success, cache_hit (answered from the cache) or error.',
          unit: 'reqps',
          stack: true,
          queries: [
            {
              expr: `sum by (model, outcome) (${rate('router_inference_requests_total', NM)})`,
              legend: '{{model}} {{outcome}}',
            },
          ],
        },
        {
          title: 'Served by model and version',
          description: 'Which model and version answered (after routing, rollouts and fallbacks).',
          unit: 'reqps',
          stack: true,
          queries: [
            {
              expr: `sum by (served_model, version) (${rate('router_inference_requests_total', `${NM}, outcome="success"`)})`,
              legend: '{{served_model}} {{version}}',
            },
          ],
        },
      ],
    },
    {
      row: 'Errors',
      panels: [
        {
          title: 'Server error ratio (5xx)',
          description:
            'API responses with a 5xx status over all of them, probes left out (alert: PaissiveRouterHighErrorRate).',
          unit: 'percentunit',
          queries: [
            {
              expr: `sum(${rate('router_http_requests_total', `${N}, status=~"5..", ${PROBES}`)}) / sum(${rate('router_http_requests_total', `${N}, ${PROBES}`)})`,
              legend: '5xx',
            },
          ],
        },
        {
          title: 'Inference error ratio by model',
          description:
            'Failed inference requests of each model over all of them, after every fallback. Refusals by budgets and guardrails count as failures here; unknown models and rate-limit refusals do not.',
          unit: 'percentunit',
          queries: [
            {
              expr: `sum by (model) (${rate('router_inference_requests_total', `${NM}, outcome="error"`)}) / sum by (model) (${rate('router_inference_requests_total', NM)})`,
              legend: '{{model}}',
            },
          ],
        },
        {
          title: 'Error responses by code',
          description:
            'Error answers by their error.code (invalid_request, model_not_found, rate_limited, upstream_*...).',
          unit: 'reqps',
          stack: true,
          queries: [{ expr: `sum by (code) (${rate('router_errors_total', N)})`, legend: '{{code}}' }],
        },
        {
          title: 'Backend failures by kind',
          description:
            'Failed attempts on a backend (a runtime or a provider) by model, version and failure kind.',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (model, version, kind) (${rate('router_backend_failures_total', NM)})`,
              legend: '{{model}} {{version}} {{kind}}',
            },
          ],
        },
      ],
    },
    {
      row: 'Latency',
      panels: [
        {
          title: 'Inference latency p50 / p95 / p99',
          description:
            'End-to-end inference latency in the router, every model selected (alert: PaissiveRouterHighLatencyP99).',
          unit: 's',
          queries: quantiles('router_inference_duration_seconds', NM),
        },
        {
          title: 'p99 latency by model and operation',
          description:
            'The slowest 1% of requests, per requested model and operation (generate, chat, embed, classify).',
          unit: 's',
          queries: [
            {
              expr: `histogram_quantile(0.99, sum by (le, model, operation) (${rate('router_inference_duration_seconds_bucket', NM)}))`,
              legend: '{{model}} {{operation}}',
            },
          ],
        },
        {
          title: 'Upstream latency p95 by model and version',
          description: 'Time waiting on the backend that served (runtime gRPC or provider HTTP).',
          unit: 's',
          queries: [
            {
              expr: `histogram_quantile(0.95, sum by (le, model, version) (${rate('router_upstream_duration_seconds_bucket', NM)}))`,
              legend: '{{model}} {{version}}',
            },
          ],
        },
        {
          title: 'Router overhead p50 / p99',
          description: "The router's own time per inference request: total minus time waiting on backends.",
          unit: 's',
          queries: quantiles('router_overhead_seconds', N, 'operation').filter(
            (q) => !q.legend.endsWith('p95'),
          ),
        },
        {
          title: 'Time to first token (streams) p50 / p95',
          description:
            'Streams: time from the request to the first token sent to the client, by serving model.',
          unit: 's',
          queries: quantiles('router_time_to_first_token_seconds', NM, 'model').filter(
            (q) => !q.legend.endsWith('p99'),
          ),
        },
        {
          title: 'HTTP latency p99 by route',
          description: 'Every route, inference and management alike.',
          unit: 's',
          queries: [
            {
              expr: `histogram_quantile(0.99, sum by (le, route) (${rate('router_http_request_duration_seconds_bucket', `${N}, ${PROBES}`)}))`,
              legend: '{{route}}',
            },
          ],
        },
      ],
    },
    {
      row: 'Routing',
      panels: [
        {
          title: 'Fallbacks (requested → served)',
          description: 'Requests answered by a model of the fallback chain instead of the one asked for.',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (model, served_model) (${rate('router_fallbacks_total', NM)})`,
              legend: '{{model}} → {{served_model}}',
            },
          ],
        },
        {
          title: 'Fallback ratio by model',
          description:
            'Fallbacks over inference requests of the model (alert: PaissiveRouterHighFallbackRate).',
          unit: 'percentunit',
          queries: [
            {
              expr: `sum by (model) (${rate('router_fallbacks_total', NM)}) / sum by (model) (${rate('router_inference_requests_total', NM)})`,
              legend: '{{model}}',
            },
          ],
        },
        {
          title: 'Retries by model',
          description: 'Attempts repeated on the same target after a retryable failure.',
          unit: 'ops',
          queries: [{ expr: `sum by (model) (${rate('router_retries_total', NM)})`, legend: '{{model}}' }],
        },
        {
          title: 'Open circuits',
          description:
            'Endpoints whose circuit breaker is open or half-open, by backend kind (alert: PaissiveRouterCircuitOpen).',
          unit: 'short',
          queries: [{ expr: `max by (backend) (router_circuits_open{${N}})`, legend: '{{backend}}' }],
        },
        {
          title: 'Circuit transitions',
          description: 'Circuit breaker state changes (open, half_open, closed) by backend kind.',
          unit: 'short',
          queries: [
            {
              expr: `sum by (backend, state) (increase(router_circuit_transitions_total{${N}}[$__rate_interval]))`,
              legend: '{{backend}} {{state}}',
            },
          ],
        },
      ],
    },
    ...routerUsageRows,
  ],
};
