/**
 * The work queue of one controller: keys are `namespace/name` of its kind; every pass is timed and counted
 * by kind and outcome, and then reported (the manager's queue-depth gauge covers both controllers); the
 * failures table (errors.ts) says which failures back off and retry.
 * @module
 */
import type { Logger } from 'pino';
import { WorkQueue } from '../../../kube/src/work-queue.js';
import { isRetryable } from '../errors.js';
import type { OperatorMetrics } from '../metrics.js';

export interface ControllerQueueOptions {
  readonly kind: 'ModelVersion' | 'AIModel';
  readonly workers: number;
  readonly logger: Logger;
  readonly metrics: OperatorMetrics;
  readonly afterPass?: () => void;
  readonly reconcile: (namespace: string, name: string) => Promise<void>;
}

export function controllerQueue(o: ControllerQueueOptions): WorkQueue {
  return new WorkQueue({
    name: o.kind.toLowerCase(),
    workers: o.workers,
    logger: o.logger,
    onResult: (_outcome, seconds) => o.metrics.reconcileDuration.observe(seconds),
    retryable: isRetryable,
    reconcile: async (key) => {
      const [namespace, name] = key.split('/') as [string, string];
      try {
        await o.reconcile(namespace, name);
        o.metrics.reconciles.inc({ kind: o.kind, outcome: 'success' });
      } catch (err) {
        o.metrics.reconciles.inc({ kind: o.kind, outcome: 'error' });
        throw err;
      } finally {
        o.afterPass?.();
      }
      return undefined;
    },
  });
}
