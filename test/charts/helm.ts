/**
 * The real helm built with the cluster (hack/cluster caches it beside kubectl), and the chart rendered by it
 * into plain objects for the chart's tests.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { type ClusterEnv, clusterEnv, ROOT } from '../support/cluster.js';

export const run = promisify(execFile);
export const CHART = join(ROOT, 'charts/paissive');

/** helm's path; call after requireCluster. */
export function helmBinary(): string {
  const helm = (clusterEnv() as ClusterEnv & { HELM?: string }).HELM ?? '';
  if (!helm) throw new Error('helm is built with the cluster (make cluster-up); .cluster/env has no HELM');
  return helm;
}

/** `helm template` of the chart as release `release` in `namespace`, with `--set` values, as objects. */
export async function renderChart(
  release: string,
  namespace: string | undefined,
  set: readonly string[] = [],
): Promise<any[]> {
  const { stdout } = await run(helmBinary(), [
    'template',
    release,
    CHART,
    ...(namespace ? ['--namespace', namespace] : []),
    '--kube-version',
    '1.36.3',
    ...set.flatMap((s) => ['--set', s]),
  ]);
  return parseAllDocuments(stdout)
    .map((d) => d.toJS())
    .filter(Boolean);
}
