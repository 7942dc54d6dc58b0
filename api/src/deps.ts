/**
 * What the HTTP layer needs from the rest of the router, injected so tests can build an app around
 * real components of their choosing.
 * @module
 */
import type { Logger } from 'pino';
import type { CallContext, RouteTarget } from './backends/backend.js';
import type { Catalog } from './catalog/catalog.js';
import type { Config } from './config.js';
import type { CallerKeys } from './http/callers.js';
import type { InferenceService } from './inference/inference-service.js';
import type { JobQueue } from './jobs/job-queue.js';
import type { UsageStore } from './metering/usage.js';
import type { Metrics } from './metrics/registry.js';

export interface ReloadResult {
  readonly state: string;
  readonly reason?: string;
}

/** Re-fetches, verifies and reloads a version's artifact in the runtimes that serve it. */
export interface ModelRepository {
  reload(target: RouteTarget, ctx: CallContext): Promise<ReloadResult>;
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
  readonly logger: Logger;
  readonly repository: ModelRepository;
  readonly readiness: () => Promise<ReadinessReport>;
  readonly startedAt: Date;
}
