/**
 * ModelVersion spec.autoscaling as the real API server admits it: its CEL rules (minReplicas not above
 * maxReplicas; no autoscaling past one replica on a ReadWriteOnce cache claim) and its field checks.
 */
import { expect } from 'chai';
import {
  applyCrds,
  type ClusterEnv,
  createNamespace,
  deleteNamespace,
  kubectlResult,
  requireCluster,
} from '../support/cluster.js';

const version = (spec: string) => `
apiVersion: ai.paissive.io/v1alpha1
kind: ModelVersion
metadata: {name: scaled}
spec:
  model: m
  version: v1
  artifact: {uri: 's3://bucket/m'}
${spec}
`;

describe('crds: ModelVersion spec.autoscaling on a real API server', function () {
  this.timeout(60_000);
  let env: ClusterEnv;
  let ns: string;
  before(async function () {
    env = requireCluster(this);
    await applyCrds(env);
    ns = await createNamespace(env, 'crds-autoscaling');
  });
  after(async () => {
    if (ns) await deleteNamespace(env, ns);
  });

  const dryRun = (spec: string) =>
    kubectlResult(env, ['apply', '--dry-run=server', '-n', ns, '-o', 'json', '-f', '-'], version(spec));

  it('accepts bounds, a CPU target and a queue-depth metric, stored as written', async () => {
    const autoscaling = {
      minReplicas: 1,
      maxReplicas: 4,
      targetCPUUtilization: 70,
      metrics: [{ name: 'runtime_queue_depth', averageValue: '4' }],
    };
    const result = await dryRun(`  autoscaling: ${JSON.stringify(autoscaling)}`);
    expect(result.ok, result.output).to.equal(true);
    expect(JSON.parse(result.output).spec.autoscaling).to.deep.equal(autoscaling);
  });

  it('accepts autoscaling above one replica on a ReadWriteMany cache claim', async () => {
    const result = await dryRun(
      '  autoscaling: {minReplicas: 1, maxReplicas: 3}\n  cache: {persistentVolumeClaim: {accessMode: ReadWriteMany}}',
    );
    expect(result.ok, result.output).to.equal(true);
  });

  const refused: [string, string, string][] = [
    [
      'minReplicas above maxReplicas',
      '  autoscaling: {minReplicas: 3, maxReplicas: 2}',
      'spec.autoscaling.minReplicas: Invalid value',
    ],
    ['minReplicas 0', '  autoscaling: {minReplicas: 0, maxReplicas: 2}', 'spec.autoscaling.minReplicas'],
    ['no maxReplicas', '  autoscaling: {minReplicas: 1}', 'spec.autoscaling.maxReplicas'],
    [
      'a metric name that is not a Prometheus name',
      '  autoscaling: {minReplicas: 1, maxReplicas: 2, metrics: [{name: queue-depth, averageValue: "4"}]}',
      'spec.autoscaling.metrics[0].name',
    ],
    [
      'an averageValue that is no quantity',
      '  autoscaling: {minReplicas: 1, maxReplicas: 2, metrics: [{name: q, averageValue: four}]}',
      'spec.autoscaling.metrics[0].averageValue',
    ],
    [
      'an averageValue of zero',
      '  autoscaling: {minReplicas: 1, maxReplicas: 2, metrics: [{name: q, averageValue: "0.0"}]}',
      'spec.autoscaling.metrics[0].averageValue',
    ],
    [
      'an averageValue in Ki (a binary suffix)',
      '  autoscaling: {minReplicas: 1, maxReplicas: 2, metrics: [{name: q, averageValue: 1Ki}]}',
      'spec.autoscaling.metrics[0].averageValue',
    ],
    [
      'autoscaling past one replica on a ReadWriteOnce cache claim',
      '  autoscaling: {minReplicas: 1, maxReplicas: 2}\n  cache: {persistentVolumeClaim: {accessMode: ReadWriteOnce}}',
      'spec.cache.persistentVolumeClaim.accessMode',
    ],
  ];
  for (const [what, spec, field] of refused) {
    it(`refuses ${what}, naming ${field}`, async () => {
      const result = await dryRun(spec);
      expect(result.ok).to.equal(false);
      expect(result.output).to.include(field);
    });
  }
});
