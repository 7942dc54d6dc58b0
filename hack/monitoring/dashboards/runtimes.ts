/**
 * The runtimes dashboard, per model and version: readiness, queue, batching, generation speed (time to first
 * token, time per output token, tokens per second), queue wait, model load and downloads. Series from
 * runtime/src/metrics.ts; every one carries the `model` and `version` labels of the version served.
 * @module
 */
import { type DashboardSpec, quantiles } from './grafana.js';

const S = 'namespace=~"$namespace", model=~"$model", version=~"$version"';
const rate = (metric: string, selector = S) => `rate(${metric}{${selector}}[$__rate_interval])`;
const MV = '{{model}} {{version}}';

export const runtimesDashboard: DashboardSpec = {
  uid: 'paissive-runtimes',
  title: 'paissive / Runtimes',
  description:
    'Queue, batching, time to first token, time per output token, tokens per second and downloads of paissive runtimes',
  variables: [
    { name: 'namespace', label: 'Namespace', query: 'label_values(runtime_ready, namespace)' },
    { name: 'model', label: 'Model', query: 'label_values(runtime_ready{namespace=~"$namespace"}, model)' },
    {
      name: 'version',
      label: 'Version',
      query: 'label_values(runtime_ready{namespace=~"$namespace", model=~"$model"}, version)',
    },
  ],
  rows: [
    {
      row: 'Replicas and requests',
      panels: [
        {
          title: 'Ready runtimes',
          description: 'Runtimes with the model loaded and not draining.',
          unit: 'short',
          queries: [{ expr: `sum by (model, version) (runtime_ready{${S}})`, legend: MV }],
        },
        {
          title: 'Requests by method and status',
          description: 'gRPC inference requests by method and status name (OK, RESOURCE_EXHAUSTED, ...).',
          unit: 'reqps',
          stack: true,
          queries: [
            {
              expr: `sum by (model, version, method, code) (${rate('runtime_requests_total')})`,
              legend: `${MV} {{method}} {{code}}`,
            },
          ],
        },
        {
          title: 'Inference duration p50 / p95 / p99',
          description: 'From receiving a successful request to its last response, queueing included.',
          unit: 's',
          queries: quantiles('runtime_inference_duration_seconds', S),
        },
      ],
    },
    {
      row: 'Queue and batching',
      panels: [
        {
          title: 'Queue depth',
          description: 'Rows waiting for a batch slot (KEDA or an HPA can scale on it).',
          unit: 'short',
          queries: [{ expr: `sum by (model, version) (runtime_queue_depth{${S}})`, legend: MV }],
        },
        {
          title: 'Queue wait p50 / p95 / p99',
          description:
            'Time a request (a generation: each sequence) waited in the batcher before its batch ran (alert: PaissiveRuntimeQueueSaturated).',
          unit: 's',
          queries: quantiles('runtime_queue_wait_seconds', S),
        },
        {
          title: 'Queue rejections',
          description:
            'Requests refused with RESOURCE_EXHAUSTED because the queue was full (alert: PaissiveRuntimeQueueRejecting).',
          unit: 'reqps',
          queries: [
            { expr: `sum by (model, version) (${rate('runtime_queue_rejections_total')})`, legend: MV },
          ],
        },
        {
          title: 'Batch size',
          description: 'Rows per onnxruntime run (generation: sequences per decoding step): mean and p95.',
          unit: 'short',
          queries: [
            {
              expr: `sum by (model, version) (${rate('runtime_batch_size_sum')}) / sum by (model, version) (${rate('runtime_batch_size_count')})`,
              legend: `${MV} mean`,
            },
            {
              expr: `histogram_quantile(0.95, sum by (le, model, version) (${rate('runtime_batch_size_bucket')}))`,
              legend: `${MV} p95`,
            },
          ],
        },
        {
          title: 'Active sequences and in-flight requests',
          description: 'Generations decoding right now, and requests holding the model.',
          unit: 'short',
          queries: [
            { expr: `sum by (model, version) (runtime_active_sequences{${S}})`, legend: `${MV} sequences` },
            { expr: `sum by (model, version) (runtime_inflight_requests{${S}})`, legend: `${MV} in flight` },
          ],
        },
      ],
    },
    {
      row: 'Generation',
      panels: [
        {
          title: 'Time to first token p50 / p95 / p99',
          description: 'From receiving a generation to its first token (prefill and queueing).',
          unit: 's',
          queries: quantiles('runtime_time_to_first_token_seconds', S),
        },
        {
          title: 'Time per output token p50 / p95 / p99',
          description:
            'Per generated sequence: time from its first token to its last over the tokens after the first.',
          unit: 's',
          queries: quantiles('runtime_time_per_output_token_seconds', S),
        },
        {
          title: 'Tokens per second',
          description: 'Generated and prompt tokens per second across replicas (rate of the token counters).',
          unit: 'short',
          queries: [
            {
              expr: `sum by (model, version) (${rate('runtime_generated_tokens_total')})`,
              legend: `${MV} generated`,
            },
            {
              expr: `sum by (model, version) (${rate('runtime_prompt_tokens_total')})`,
              legend: `${MV} prompt`,
            },
          ],
        },
        {
          title: 'Tokens per second of one generation (p50)',
          description:
            'Completion tokens over the duration of each finished generation: the speed one caller sees.',
          unit: 'short',
          queries: [
            {
              expr: `histogram_quantile(0.5, sum by (le, model, version) (${rate('runtime_generation_tokens_per_second_bucket')}))`,
              legend: MV,
            },
          ],
        },
      ],
    },
    {
      row: 'Model load and downloads',
      panels: [
        {
          title: 'Download throughput',
          description: 'Artifact bytes fetched from remote stores (https://, s3://) per second.',
          unit: 'Bps',
          queries: [
            { expr: `sum by (model, version) (${rate('runtime_model_download_bytes_total')})`, legend: MV },
          ],
        },
        {
          title: 'Failed downloads',
          description: 'Runtimes whose latest artifact fetch failed (state failed).',
          unit: 'short',
          queries: [
            {
              expr: `sum by (model, version) (runtime_model_download_state{${S}, state="failed"})`,
              legend: MV,
            },
          ],
        },
        {
          title: 'Download state',
          description: 'The state of the latest artifact fetch of each runtime, and the bytes it expects.',
          unit: 'short',
          kind: 'table',
          queries: [
            { expr: `max by (model, version, state) (runtime_model_download_state{${S}}) == 1`, legend: '' },
            { expr: `max by (model, version) (runtime_model_download_size_bytes{${S}})`, legend: '' },
          ],
        },
        {
          title: 'Model load time',
          description: 'Mean time to resolve (fetch, verify) and load the model.',
          unit: 's',
          queries: [
            {
              expr: `sum by (model, version) (${rate('runtime_model_load_duration_seconds_sum')}) / sum by (model, version) (${rate('runtime_model_load_duration_seconds_count')})`,
              legend: MV,
            },
          ],
        },
        {
          title: 'Model cache size',
          description: 'Bytes in the model cache of each runtime.',
          unit: 'bytes',
          queries: [
            { expr: `max by (model, version) (runtime_model_cache_bytes{${S}})`, legend: `${MV} bytes` },
          ],
        },
        {
          title: 'Model cache hits, misses and evictions',
          description:
            'Artifacts found verified in the cache, fetched, or evicted to stay under MODEL_CACHE_MAX_BYTES.',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (model, version) (${rate('runtime_model_cache_hits_total')})`,
              legend: `${MV} hits`,
            },
            {
              expr: `sum by (model, version) (${rate('runtime_model_cache_misses_total')})`,
              legend: `${MV} misses`,
            },
            {
              expr: `sum by (model, version) (${rate('runtime_model_cache_evictions_total')})`,
              legend: `${MV} evictions`,
            },
          ],
        },
        {
          title: 'Execution provider',
          description:
            'The execution provider serving each runtime (cpu, cuda) and the one its configuration asked for.',
          unit: 'short',
          kind: 'table',
          width: 24,
          queries: [
            {
              expr: `max by (model, version, requested, provider) (runtime_execution_provider{${S}}) == 1`,
              legend: '',
            },
          ],
        },
      ],
    },
  ],
};
