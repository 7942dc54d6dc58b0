/**
 * What the HTTP layer needs from the rest of the router, injected so tests can build an app around
 * real components of their choosing.
 * @module
 */
import type { Logger } from 'pino';
import type { RouteTarget } from './backends/backend.js';
import type { Catalog } from './catalog/catalog.js';
import type { Config } from './config.js';
import type { CallerKeys } from './http/callers.js';
import type { InferenceService } from './inference/inference-service.js';
import type { JobQueue } from './jobs/job-queue.js';
import type { Admission } from './limits/admission.js';
import type { UsageStore } from './metering/usage.js';
import type { Metrics } from './metrics/registry.js';

/** Where one runtime stands with the artifact of the version it serves. */
export interface RuntimeArtifactState {
  readonly address: string;
  /**
   * - `DOWNLOADING`: the artifact is being fetched, verified or unpacked (`download` says how far);
   * - `LOADING`: a load runs and fetches nothing (a cache hit, or the model is being opened);
   * - `READY`: the latest load succeeded;
   * - `FAILED`: the latest load failed (`code`, e.g. `ArtifactInvalid`, and `reason`);
   * - `UNREACHABLE`: the runtime did not answer.
   */
  readonly state: 'DOWNLOADING' | 'LOADING' | 'READY' | 'FAILED' | 'UNREACHABLE';
  readonly reason?: string;
  /** The runtime's error code of a failure. */
  readonly code?: string;
  /** Whether a previous load keeps answering requests meanwhile. */
  readonly serving: boolean;
  readonly download?: {
    readonly state: string;
    readonly bytesDownloaded: number;
    readonly bytesTotal: number;
  };
}

export interface ArtifactRound {
  readonly runtimes: readonly RuntimeArtifactState[];
  /** When this router started the load that is still running (epoch ms); absent when it started none. */
  readonly startedAt?: number;
}

export interface ArtifactWatch {
  /** Start a re-fetch on every runtime that runs none (a runtime already loading is joined, not asked again). */
  readonly trigger: boolean;
  /** Wait at most this long for every runtime to finish. */
  readonly waitMs: number;
  readonly signal: AbortSignal;
  readonly requestId: string;
}

/** Re-fetches, verifies and reloads a version's artifact in the runtimes that serve it, and follows it. */
export interface ModelRepository {
  artifact(target: RouteTarget, watch: ArtifactWatch): Promise<ArtifactRound>;
}

export interface ReadinessReport {
  readonly ready: boolean;
  readonly checks: Readonly<Record<string, { ok: boolean; message: string }>>;
}

export interface AppDeps {
  readonly config: Config;
  readonly catalog: Catalog;
  readonly inference: InferenceService;
  readonly jobs: JobQueue;
  readonly usage: UsageStore;
  readonly metrics: Metrics;
  /** Router API keys (sha256 → caller); empty: the API is open and every caller is `anonymous`. */
  readonly callerKeys: CallerKeys;
  /** The caller's rate limit; absent when no limits are declared. */
  readonly admit?: Admission;
  /** The model-operations limit (ROUTER_MODEL_OPS_LIMIT) of routes that change a model. */
  readonly admitModelOperation?: Admission;
  readonly logger: Logger;
  readonly repository: ModelRepository;
  readonly readiness: () => Promise<ReadinessReport>;
  readonly startedAt: Date;
}
