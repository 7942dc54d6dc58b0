/**
 * Every Prometheus metric of the operator, in one registry.
 * @module
 */
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export function createOperatorMetrics() {
  const registry = new Registry();
  // Unprefixed like every Prometheus client's process metrics; the scrape's job label tells processes apart.
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  return {
    registry,
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
}

export type OperatorMetrics = ReturnType<typeof createOperatorMetrics>;
