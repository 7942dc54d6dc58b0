/**
 * Every Prometheus metric of the operator, in one registry.
 * @module
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { ModelVersion } from '../../crds/src/index.js';

/** The conditions a ModelVersion's status carries, each exported whether or not it is set yet. */
const CONDITIONS = ['Ready', 'Progressing', 'Degraded'] as const;

export interface VersionConditionSample {
  readonly labels: {
    model_namespace: string;
    model: string;
    version: string;
    condition: string;
    reason: string;
  };
  readonly value: number;
}

/**
 * One sample per ModelVersion and condition type: 1 when the condition is True, 0 when False, Unknown or not
 * written yet (reason `Unknown`). The reason label is what alerts select on (Degraded with GPUUnavailable);
 * `model` and `version` are spec.model and spec.version, the same values the runtime and router series carry.
 * The version's namespace is `model_namespace`: a scrape sets `namespace` to the operator's own, and a metric
 * label of that name would come out renamed `exported_namespace`.
 */
export function versionConditionSamples(
  versions: readonly Pick<ModelVersion, 'metadata' | 'spec' | 'status'>[],
): VersionConditionSample[] {
  const samples: VersionConditionSample[] = [];
  for (const mv of versions) {
    for (const type of CONDITIONS) {
      const c = mv.status?.conditions?.find((x) => x.type === type);
      samples.push({
        labels: {
          model_namespace: mv.metadata?.namespace ?? '',
          model: mv.spec.model,
          version: mv.spec.version,
          condition: type,
          reason: c?.reason || 'Unknown',
        },
        value: c?.status === 'True' ? 1 : 0,
      });
    }
  }
  return samples;
}

export function createOperatorMetrics() {
  const registry = new Registry();
  // Unprefixed like every Prometheus client's process metrics; the scrape's job label tells processes apart.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  /**
   * Set by whoever holds the ModelVersion cache (the controller's informer): the versions to report, read on
   * each scrape so the gauge never keeps a deleted version or a stale reason.
   */
  const versions: { list?: () => readonly Pick<ModelVersion, 'metadata' | 'spec' | 'status'>[] } = {};
  const metrics = {
    registry,
    versions,
    versionConditions: new Gauge({
      name: 'operator_model_version_condition',
      help: 'ModelVersion status conditions: 1 when True, 0 otherwise, by the namespace of the version (model_namespace), model, version, condition (Ready, Progressing, Degraded) and reason',
      labelNames: ['model_namespace', 'model', 'version', 'condition', 'reason'] as const,
      registers,
      collect() {
        if (!versions.list) return;
        this.reset();
        for (const s of versionConditionSamples(versions.list())) this.set(s.labels, s.value);
      },
    }),
    reconciles: new Counter({
      name: 'operator_reconcile_total',
      help: 'Reconcile passes by kind (ModelVersion, AIModel) and outcome',
      labelNames: ['kind', 'outcome'] as const,
      registers,
    }),
    reconcileDuration: new Histogram({
      name: 'operator_reconcile_duration_seconds',
      help: 'Time of one reconcile pass',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    }),
    kubeRequests: new Counter({
      name: 'operator_kube_requests_total',
      help: 'Requests to the Kubernetes API by verb, resource and HTTP status',
      labelNames: ['verb', 'resource', 'code'] as const,
      registers,
    }),
    relists: new Counter({
      name: 'operator_informer_relists_total',
      help: 'Full relists after a watch could not resume (410 Gone, history compacted), by kind',
      labelNames: ['kind'] as const,
      registers,
    }),
    queueDepth: new Gauge({
      name: 'operator_queue_depth',
      help: 'Keys waiting in the work queue',
      registers,
    }),
    leader: new Gauge({
      name: 'operator_leader',
      help: '1 while this replica holds the leader lease',
      registers,
    }),
  };
  // Both controllers' series exist from the start, so an error ratio or rate() has a zero to start from
  // instead of no series until the first failure.
  for (const kind of ['ModelVersion', 'AIModel'])
    for (const outcome of ['success', 'error']) metrics.reconciles.inc({ kind, outcome }, 0);
  return metrics;
}

export type OperatorMetrics = ReturnType<typeof createOperatorMetrics>;
