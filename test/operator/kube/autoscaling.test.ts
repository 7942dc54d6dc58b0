/**
 * spec.autoscaling on the real control plane: the operator keeps an autoscaling/v2 HPA aimed at the ModelVersion,
 * the controller manager's HPA controller reads its scale (AbleToScale) and writes spec.replicas through /scale,
 * and the HPA goes when autoscaling is removed.
 */
import { expect } from 'chai';
import {
  applyCrds,
  type ClusterEnv,
  createNamespace,
  deleteNamespace,
  getJson,
  kubectl,
  kubectlResult,
  type OperatorProcess,
  requireCluster,
  startOperator,
} from '../../support/cluster.js';
import { eventually } from '../../support/eventually.js';
import { model, version } from './fixtures.js';

const NAME = 'autoscaled-v1';

describe('operator/kube: spec.autoscaling becomes an HPA the operator owns, on a real control plane', function () {
  this.timeout(180_000);
  let env: ClusterEnv;
  let ns: string;
  let operator: OperatorProcess;
  before(async function () {
    env = requireCluster(this);
    await applyCrds(env);
    ns = await createNamespace(env, 'autoscaling');
    await kubectl(
      env,
      ['apply', '-n', ns, '-f', '-'],
      model('autoscaled', 'provider: onnx\ncapabilities: [chat]'),
    );
    // No replicas in the manifest: the HPA owns the count. Its minimum (2) is above the default (1), so the
    // HPA controller scales up without any metric (the test cluster has no metrics API).
    await kubectl(
      env,
      ['apply', '-n', ns, '-f', '-'],
      version(
        NAME,
        'autoscaled',
        [
          'version: v1',
          'artifact: {uri: "s3://models/autoscaled.tar.gz"}',
          'resources: {cpu: 1}',
          'autoscaling:',
          '  minReplicas: 2',
          '  maxReplicas: 3',
          '  targetCPUUtilization: 70',
          // Stored by the API server as 500m: the operator writes it so, or it would re-apply on every reconcile.
          '  metrics: [{name: runtime_queue_depth, averageValue: "0.5"}]',
        ].join('\n'),
      ),
    );
    operator = await startOperator(env, ns);
  });
  after(async () => {
    await operator?.stop();
    if (ns) await deleteNamespace(env, ns);
  });

  const until = <T>(what: string, check: () => Promise<T | undefined>) => eventually(check, what, 90_000);
  const hpa = async () => {
    const r = await kubectlResult(env, ['get', 'hpa', NAME, '-n', ns, '-o', 'json']);
    return r.ok ? JSON.parse(r.output) : undefined;
  };

  it('creates an autoscaling/v2 HPA named after the version, owned by it, targeting the ModelVersion', async () => {
    const h = await until('the HPA', hpa);
    const mv = await getJson(env, ['get', 'modelversion', NAME, '-n', ns]);
    expect(h.spec.scaleTargetRef).to.deep.equal({
      apiVersion: 'ai.paissive.io/v1alpha1',
      kind: 'ModelVersion',
      name: NAME,
    });
    expect(h.spec).to.include({ minReplicas: 2, maxReplicas: 3 });
    expect(h.spec.metrics).to.deep.equal([
      {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      },
      {
        type: 'Pods',
        pods: {
          metric: { name: 'runtime_queue_depth' },
          target: { type: 'AverageValue', averageValue: '500m' },
        },
      },
    ]);
    expect(h.metadata.ownerReferences).to.deep.equal([
      {
        apiVersion: 'ai.paissive.io/v1alpha1',
        kind: 'ModelVersion',
        name: NAME,
        uid: mv.metadata.uid,
        controller: true,
        blockOwnerDeletion: true,
      },
    ]);
  });

  it('the HPA reads the scale (AbleToScale True) and writes spec.replicas, which the Deployment follows', async () => {
    const able = await until('AbleToScale', async () =>
      (await hpa())?.status?.conditions?.find((c: { type: string }) => c.type === 'AbleToScale'),
    );
    expect(able).to.include({ status: 'True' });
    await until('spec.replicas at the minimum', async () => {
      const mv = await getJson(env, ['get', 'modelversion', NAME, '-n', ns]);
      return mv.spec.replicas === 2 ? true : undefined;
    });
    await until('the Deployment at 2', async () => {
      const d = await getJson(env, ['get', 'deployment', NAME, '-n', ns]);
      return d.spec.replicas === 2 ? true : undefined;
    });
    // The HPA controller's status writes wake the operator for this version; each pass found nothing to apply.
    const events = await getJson(env, [
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      `involvedObject.name=${NAME}`,
    ]);
    const messages = events.items.map((e: { message: string }) => e.message).join('\n');
    expect(messages).to.include('HorizontalPodAutoscaler');
    expect(messages, messages).to.not.match(/Updated[^\n]*HorizontalPodAutoscaler/);
  });

  it('deletes the HPA when autoscaling is removed, and leaves spec.replicas where the HPA put it', async () => {
    await kubectl(env, [
      'patch',
      'modelversion',
      NAME,
      '-n',
      ns,
      '--type=json',
      '-p',
      '[{"op":"remove","path":"/spec/autoscaling"}]',
    ]);
    await until('the HPA gone', async () => ((await hpa()) === undefined ? true : undefined));
    const mv = await getJson(env, ['get', 'modelversion', NAME, '-n', ns]);
    expect(mv.spec.replicas).to.equal(2);
    const events = await getJson(env, [
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      `involvedObject.name=${NAME}`,
    ]);
    expect(events.items.map((e: { message: string }) => e.message)).to.include(
      `Deleted HorizontalPodAutoscaler ${NAME}`,
    );
  });
});
