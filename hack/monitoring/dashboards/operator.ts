/**
 * The operator dashboard: reconciles, errors, work queue, reconcile duration, Kubernetes API traffic, leader,
 * and the ModelVersion conditions it reports. Series from operator/src/metrics.ts.
 * @module
 */
import { type DashboardSpec, quantiles } from './grafana.js';

const N = 'namespace=~"$namespace"';
const rate = (metric: string, selector = N) => `rate(${metric}{${selector}}[$__rate_interval])`;
/** One series per version: operator replicas all export them (every cache is full), max keeps one. */
const READY = `max by (model_namespace, model, version, reason) (operator_model_version_condition{${N}, condition="Ready"})`;

export const operatorDashboard: DashboardSpec = {
  uid: 'paissive-operator',
  title: 'paissive / Operator',
  description:
    'Reconciles, errors, work queue, API traffic and ModelVersion conditions of the paissive operator',
  variables: [
    { name: 'namespace', label: 'Namespace', query: 'label_values(operator_reconcile_total, namespace)' },
  ],
  rows: [
    {
      row: 'Reconciles',
      panels: [
        {
          title: 'Reconciles by kind and outcome',
          description: 'Reconcile passes of ModelVersions and AIModels, by outcome (success, error).',
          unit: 'ops',
          stack: true,
          queries: [
            {
              expr: `sum by (kind, outcome) (${rate('operator_reconcile_total')})`,
              legend: '{{kind}} {{outcome}}',
            },
          ],
        },
        {
          title: 'Reconcile errors',
          description:
            'Failed passes per second, retried with backoff (alert: PaissiveOperatorReconcileErrors).',
          unit: 'ops',
          queries: [
            {
              expr: `sum by (kind) (${rate('operator_reconcile_total', `${N}, outcome="error"`)})`,
              legend: '{{kind}}',
            },
          ],
        },
        {
          title: 'Work queue depth',
          description: 'Keys waiting in the work queue of the leader.',
          unit: 'short',
          queries: [{ expr: `max by (pod) (operator_queue_depth{${N}})`, legend: '{{pod}}' }],
        },
        {
          title: 'Reconcile duration p50 / p95 / p99',
          description: 'Time of one reconcile pass.',
          unit: 's',
          queries: quantiles('operator_reconcile_duration_seconds', N),
        },
        {
          title: 'Kubernetes API requests by verb and code',
          description:
            'Requests to the API server by verb and HTTP status (409s are apply conflicts, 429 throttling).',
          unit: 'reqps',
          queries: [
            {
              expr: `sum by (verb, code) (${rate('operator_kube_requests_total')})`,
              legend: '{{verb}} {{code}}',
            },
          ],
        },
        {
          title: 'Leader',
          description:
            'Which replica holds the leader lease and reconciles (the others keep their caches warm).',
          unit: 'short',
          queries: [{ expr: `max by (pod) (operator_leader{${N}})`, legend: '{{pod}}' }],
        },
      ],
    },
    {
      row: 'ModelVersions',
      panels: [
        {
          title: 'Versions not Ready by reason',
          description:
            'ModelVersions whose Ready condition is not True, by its reason (alert: PaissiveModelNoReadyRuntime).',
          unit: 'short',
          stack: true,
          queries: [{ expr: `count by (reason) (${READY} == 0)`, legend: '{{reason}}' }],
        },
        {
          title: 'Degraded versions by reason',
          description:
            'ModelVersions with Degraded True (GPUUnavailable, CrashLoopBackOff, ArtifactInvalid...).',
          unit: 'short',
          stack: true,
          queries: [
            {
              expr: `count by (reason) (max by (model_namespace, model, version, reason) (operator_model_version_condition{${N}, condition="Degraded"}) == 1)`,
              legend: '{{reason}}',
            },
          ],
        },
        {
          title: 'Ready versions',
          description: 'ModelVersions whose Ready condition is True.',
          unit: 'short',
          kind: 'stat',
          queries: [{ expr: `count(${READY} == 1)`, legend: 'ready' }],
        },
        {
          title: 'ModelVersion readiness',
          description: 'Every ModelVersion with its Ready value (1 ready, 0 not) and reason.',
          unit: 'short',
          kind: 'table',
          width: 24,
          queries: [{ expr: READY, legend: '' }],
        },
      ],
    },
    {
      row: 'Process',
      panels: [
        {
          title: 'CPU',
          description: 'CPU seconds per second of each operator replica.',
          unit: 'short',
          queries: [
            {
              expr: `sum by (pod) (rate(process_cpu_seconds_total{${N}, job=~".*operator.*"}[$__rate_interval]))`,
              legend: '{{pod}}',
            },
          ],
        },
        {
          title: 'Resident memory',
          description: 'Resident set size of each operator replica.',
          unit: 'bytes',
          queries: [
            {
              expr: `max by (pod) (process_resident_memory_bytes{${N}, job=~".*operator.*"})`,
              legend: '{{pod}}',
            },
          ],
        },
      ],
    },
  ],
};
