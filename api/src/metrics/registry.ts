/**
 * Every Prometheus metric of the router, registered in one registry. Label values are bounded: model and
 * version names come from the catalog, never from raw request input.
 * @module
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
const OVERHEAD_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1];

export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  // Unprefixed (`process_cpu_seconds_total`) like every Prometheus client's, the runtime's and the operator's:
  // a prefix doubled into router_process_process_…, and the scrape's job label already names the process.
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  /** Set by the job queue: how many items wait, run or are delayed (queried on scrape). */
  const queueDepth: { read?: () => Promise<Record<string, number>> } = {};
  return {
    queueDepth,
    registry,
    httpRequests: new Counter({
      name: 'router_http_requests_total',
      help: 'HTTP requests answered, by route template, method and status code',
      labelNames: ['route', 'method', 'status'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'router_http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by route template',
      labelNames: ['route', 'method'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    inferenceRequests: new Counter({
      name: 'router_inference_requests_total',
      help: 'Inference requests by requested model, serving model/version and outcome',
      labelNames: ['operation', 'model', 'served_model', 'version', 'outcome'] as const,
      registers,
    }),
    inferenceDuration: new Histogram({
      name: 'router_inference_duration_seconds',
      help: 'End-to-end inference latency in the router, by operation and requested model',
      labelNames: ['operation', 'model'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    upstreamDuration: new Histogram({
      name: 'router_upstream_duration_seconds',
      help: 'Time waiting on the backend that served, by model and version',
      labelNames: ['model', 'version', 'provider'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    overhead: new Histogram({
      name: 'router_overhead_seconds',
      help: 'Router time per inference request: total minus time waiting on backends',
      labelNames: ['operation'] as const,
      buckets: OVERHEAD_BUCKETS,
      registers,
    }),
    tokens: new Counter({
      name: 'router_tokens_total',
      help: 'Tokens processed, by serving model, version and direction (input, output)',
      labelNames: ['model', 'version', 'direction'] as const,
      registers,
    }),
    cost: new Counter({
      name: 'router_cost_total',
      help: 'Estimated spend from AIModel pricing, by serving model and currency',
      labelNames: ['model', 'currency'] as const,
      registers,
    }),
    errors: new Counter({
      name: 'router_errors_total',
      help: 'Error responses by error code',
      labelNames: ['code'] as const,
      registers,
    }),
    fallbacks: new Counter({
      name: 'router_fallbacks_total',
      help: 'Requests served by a model other than the one requested',
      labelNames: ['model', 'served_model'] as const,
      registers,
    }),
    backendFailures: new Counter({
      name: 'router_backend_failures_total',
      help: 'Failed backend attempts, by model, version and failure kind',
      labelNames: ['model', 'version', 'kind'] as const,
      registers,
    }),
    cacheLookups: new Counter({
      name: 'router_cache_lookups_total',
      help: 'Response cache lookups by result (hit, miss, error: the store failed and was bypassed)',
      labelNames: ['result'] as const,
      registers,
    }),
    timeToFirstToken: new Histogram({
      name: 'router_time_to_first_token_seconds',
      help: 'Streams: time from the request to the first token sent, by serving model',
      labelNames: ['model'] as const,
      buckets: LATENCY_BUCKETS,
      registers,
    }),
    retries: new Counter({
      name: 'router_retries_total',
      help: 'Retries of a target after a failure it may not repeat, by model',
      labelNames: ['model'] as const,
      registers,
    }),
    circuitsOpen: new Gauge({
      name: 'router_circuits_open',
      help: 'Backend endpoints whose circuit breaker is open (or half-open), by kind (runtime, openai)',
      labelNames: ['backend'] as const,
      registers,
    }),
    circuitTransitions: new Counter({
      name: 'router_circuit_transitions_total',
      help: 'Circuit breaker state changes by backend kind and new state',
      labelNames: ['backend', 'state'] as const,
      registers,
    }),
    rateLimited: new Counter({
      name: 'router_rate_limited_total',
      help: 'Requests refused by a rate limit, by caller (a named caller, or * for the default limit)',
      labelNames: ['caller'] as const,
      registers,
    }),
    budgetRefused: new Counter({
      name: 'router_budget_refused_total',
      help: 'Requests refused by a token or spend budget, by caller (a named caller, or * for the default) and budget (tokens, spend)',
      labelNames: ['caller', 'budget'] as const,
      registers,
    }),
    guardrailInterventions: new Counter({
      name: 'router_guardrail_interventions_total',
      help: 'Guardrail interventions by model, rule, direction (input, output) and action (block, redact)',
      labelNames: ['model', 'rule', 'direction', 'action'] as const,
      registers,
    }),
    redisErrors: new Counter({
      name: 'router_redis_errors_total',
      help: 'Failed Redis operations (the request went on without the cache), by operation',
      labelNames: ['operation'] as const,
      registers,
    }),
    batchJobsSubmitted: new Counter({
      name: 'router_batch_jobs_submitted_total',
      help: 'Batch jobs accepted (new ones, not idempotent repeats), by priority',
      labelNames: ['priority'] as const,
      registers,
    }),
    batchJobsFinished: new Counter({
      name: 'router_batch_jobs_finished_total',
      help: 'Batch jobs finished, by final state (completed, failed, cancelled), counted where they finished',
      labelNames: ['state'] as const,
      registers,
    }),
    batchItems: new Counter({
      name: 'router_batch_items_total',
      help: 'Batch items finished in this process, by outcome (succeeded, failed, cancelled)',
      labelNames: ['outcome'] as const,
      registers,
    }),
    batchItemRetries: new Counter({
      name: 'router_batch_item_retries_total',
      help: 'Batch items put back for a later try after a retryable failure',
      registers,
    }),
    batchItemsDeferred: new Counter({
      name: 'router_batch_items_deferred_total',
      help: "Batch items put back because their model had BATCH_MODEL_CONCURRENCY items in flight here, or their caller's request limit or budget had no room yet",
      registers,
    }),
    batchItemsRunning: new Gauge({
      name: 'router_batch_items_running',
      help: 'Batch items in flight in this process',
      registers,
    }),
    batchQueueItems: new Gauge({
      name: 'router_batch_queue_items',
      help: 'Batch items in the shared queue, by state (waiting, active, delayed), read when scraped',
      labelNames: ['state'] as const,
      registers,
      async collect() {
        const counts = await queueDepth.read?.().catch(() => undefined);
        if (counts) for (const [state, n] of Object.entries(counts)) this.set({ state }, n);
      },
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
