/**
 * Every metric the runtime exports, registered in one place on a registry of its own (so several runtimes in
 * one test process do not collide). Names follow Prometheus conventions; label sets are small and bounded:
 * tasks, gRPC status names, provider names and download states, never model inputs or request ids. A runtime
 * serves one model version, so `model` and `version` are registry-wide labels on every series (one value each).
 * @module
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import { DOWNLOAD_STATES, type DownloadState } from './model-store/progress.js';

/** Values read when Prometheus scrapes, not written per request: the hot path stays free of metric updates. */
export interface GaugeSources {
  queueDepth(): number;
  activeSequences(): number;
  inflight(): number;
}

const SECONDS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];
/** A token of a small model on a CPU takes about a millisecond; a large one on a busy CPU, a second or more. */
const PER_TOKEN = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.25, 0.5, 1, 2.5];
const QUEUE_WAIT = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/**
 * The served model version, put on every series so dashboards can split runtimes without relabelling
 * (nodejs_version_info keeps its own `version`, Node's: a metric's own labels win over the registry's).
 */
export interface ServedLabels {
  readonly model: string;
  readonly version: string;
}

export class RuntimeMetrics {
  readonly registry: Registry;
  readonly queueDepth: Gauge;
  readonly queueRejections: Counter;
  readonly batchSize: Histogram;
  readonly activeSequences: Gauge;
  readonly requests: Counter<'method' | 'code'>;
  readonly inferenceDuration: Histogram<'task'>;
  readonly inflight: Gauge;
  readonly ready: Gauge;
  readonly promptTokens: Counter;
  readonly generatedTokens: Counter;
  readonly tokensPerSecond: Histogram;
  readonly timeToFirstToken: Histogram;
  readonly timePerOutputToken: Histogram;
  readonly queueWait: Histogram;
  readonly modelLoadDuration: Histogram;
  readonly executionProvider: Gauge<'requested' | 'provider'>;
  readonly downloadBytes: Counter;
  readonly downloadState: Gauge<'state'>;
  readonly downloadSize: Gauge;
  readonly cacheBytes: Gauge;
  readonly cacheHits: Counter;
  readonly cacheMisses: Counter;
  readonly cacheEvictions: Counter;
  private sources: GaugeSources = { queueDepth: () => 0, activeSequences: () => 0, inflight: () => 0 };

  /**
   * @param options.defaultMetrics also export Node's process metrics (unprefixed, as every Prometheus client
   *   does, so `process_cpu_seconds_total` means the same for the router, the operator and the runtime).
   * @param options.served labels every series with the served model and version.
   */
  constructor(options: { defaultMetrics?: boolean; served?: ServedLabels } = {}) {
    this.registry = new Registry();
    if (options.served)
      this.registry.setDefaultLabels({ model: options.served.model, version: options.served.version });
    const registers = [this.registry];
    if (options.defaultMetrics) collectDefaultMetrics({ register: this.registry });
    const sources = () => this.sources;
    this.queueDepth = new Gauge({
      name: 'runtime_queue_depth',
      help: 'Rows (texts or sequences) waiting for a batch slot',
      registers,
      collect() {
        this.set(sources().queueDepth());
      },
    });
    this.queueRejections = new Counter({
      name: 'runtime_queue_rejections_total',
      help: 'Requests refused with RESOURCE_EXHAUSTED because the queue was full',
      registers,
    });
    this.batchSize = new Histogram({
      name: 'runtime_batch_size',
      help: 'Rows per onnxruntime run (generation: sequences per decoding step)',
      buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
      registers,
    });
    this.activeSequences = new Gauge({
      name: 'runtime_active_sequences',
      help: 'Generations decoding right now',
      registers,
      collect() {
        this.set(sources().activeSequences());
      },
    });
    this.requests = new Counter({
      name: 'runtime_requests_total',
      help: 'Inference requests served, by method and gRPC status name',
      labelNames: ['method', 'code'],
      registers,
    });
    this.inferenceDuration = new Histogram({
      name: 'runtime_inference_duration_seconds',
      help: 'Time from receiving a successful inference request to its last response, queueing included',
      labelNames: ['task'],
      buckets: SECONDS,
      registers,
    });
    this.inflight = new Gauge({
      name: 'runtime_inflight_requests',
      help: 'Requests holding the model',
      registers,
    });
    this.ready = new Gauge({
      name: 'runtime_ready',
      help: '1 when the model is loaded and the runtime is not draining',
      registers,
    });
    this.promptTokens = new Counter({
      name: 'runtime_prompt_tokens_total',
      help: 'Prompt tokens of generations',
      registers,
    });
    this.generatedTokens = new Counter({
      name: 'runtime_generated_tokens_total',
      help: 'Tokens generated; rate() of it is the tokens per second of the runtime',
      registers,
    });
    this.tokensPerSecond = new Histogram({
      name: 'runtime_generation_tokens_per_second',
      help: 'Tokens per second of each finished generation (completion tokens over its duration)',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      registers,
    });
    this.timeToFirstToken = new Histogram({
      name: 'runtime_time_to_first_token_seconds',
      help: 'Time from receiving a generation to its first token',
      buckets: SECONDS,
      registers,
    });
    this.timePerOutputToken = new Histogram({
      name: 'runtime_time_per_output_token_seconds',
      help: 'Per generated sequence: time from its first token to its last over the tokens after the first',
      buckets: PER_TOKEN,
      registers,
    });
    this.queueWait = new Histogram({
      name: 'runtime_queue_wait_seconds',
      help: 'Time a request (a generation: each sequence) waited in the batcher before its batch ran',
      buckets: QUEUE_WAIT,
      registers,
    });
    this.modelLoadDuration = new Histogram({
      name: 'runtime_model_load_duration_seconds',
      help: 'Time to resolve (fetch, verify) and load the model',
      buckets: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800],
      registers,
    });
    this.executionProvider = new Gauge({
      name: 'runtime_execution_provider',
      help: '1 for the execution provider serving the model, labelled with the one the configuration asked for',
      labelNames: ['requested', 'provider'],
      registers,
    });
    this.downloadBytes = new Counter({
      name: 'runtime_model_download_bytes_total',
      help: 'Artifact bytes fetched from remote stores',
      registers,
    });
    this.downloadState = new Gauge({
      name: 'runtime_model_download_state',
      help: '1 for the state of the latest artifact fetch',
      labelNames: ['state'],
      registers,
    });
    this.downloadSize = new Gauge({
      name: 'runtime_model_download_size_bytes',
      help: 'Expected bytes of the latest artifact fetch (0 while unknown)',
      registers,
    });
    this.cacheBytes = new Gauge({
      name: 'runtime_model_cache_bytes',
      help: 'Bytes in the model cache',
      registers,
    });
    this.cacheHits = new Counter({
      name: 'runtime_model_cache_hits_total',
      help: 'Artifacts found verified in the cache',
      registers,
    });
    this.cacheMisses = new Counter({
      name: 'runtime_model_cache_misses_total',
      help: 'Artifacts that had to be fetched',
      registers,
    });
    this.cacheEvictions = new Counter({
      name: 'runtime_model_cache_evictions_total',
      help: 'Cache entries evicted to stay under MODEL_CACHE_MAX_BYTES',
      registers,
    });
  }

  /** Where the scrape-time gauges read their values (the model manager). */
  readFrom(sources: GaugeSources): void {
    this.sources = sources;
  }

  /** Sets the download state gauge: 1 for `state`, 0 for the others (so every state has a series). */
  setDownloadState(state: DownloadState): void {
    for (const s of DOWNLOAD_STATES) this.downloadState.set({ state: s }, s === state ? 1 : 0);
  }
}
