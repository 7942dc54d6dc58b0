/**
 * `--help` of the operator: one line per variable of its process config schema (typed by its keys).
 * @module
 */
import type { Usage } from '../../runtime/src/cli.js';
import { processConfigSchema } from './config.js';

export const operatorUsage = (): Usage<typeof processConfigSchema.shape> => ({
  command: 'node dist/operator/src/main.js',
  about: `paissive operator: reconciles AIModel and ModelVersion resources into runtime Deployments and
Services and writes their status. Every replica fills its caches; only the lease holder reconciles.
Serves /metrics, /healthz and /readyz over HTTP.`,
  shape: processConfigSchema.shape,
  variables: {
    KUBECONFIG: { text: "kubeconfig path; unset: the pod's service account" },
    WATCH_NAMESPACE: { text: 'namespace to watch; unset: every namespace' },
    OPERATOR_CONFIG: { text: 'YAML or JSON file of operator settings (runtime image, GPU profiles)' },
    RUNTIME_IMAGE: { text: 'image of the runtime pods (overrides the settings file)' },
    LEADER_ELECTION: { text: 'take a Lease before reconciling (true/false)' },
    LEASE_NAME: { text: 'name of the leader Lease' },
    POD_NAMESPACE: { text: 'namespace of the Lease (downward API); else WATCH_NAMESPACE, else default' },
    POD_NAME: { text: 'identity in the Lease (downward API); else host name and pid' },
    METRICS_HOST: { text: 'address of the metrics and probes HTTP server' },
    METRICS_PORT: { text: 'metrics and probes port; 0 picks a free one' },
    WORKERS: { text: 'reconciles running at once, per controller (ModelVersion, AIModel)' },
    RESYNC_SECONDS: { text: 'every resource is reconciled again at least this often' },
    LOG_LEVEL: { text: 'fatal, error, warn, info, debug, trace or silent' },
  },
});
