/**
 * The operator process's two controllers (ModelVersion, AIModel) over one set of shared informers, on the
 * test control plane: both kinds reconcile, and each resource type is listed once for the whole process.
 */
import { expect } from 'chai';
import { getJson } from '../../support/cluster.js';
import { examplesNamespace } from './examples-namespace.js';

const WATCHED = [
  'aimodels',
  'modelversions',
  'deployments',
  'services',
  'pods',
  'persistentvolumeclaims',
  'poddisruptionbudgets',
  'horizontalpodautoscalers',
];

describe('operator/kube: ControllerManager, one controller per kind over shared informers', function () {
  this.timeout(120_000);
  const space = examplesNamespace('mgr');

  it('the ModelVersion controller makes every version Ready; the AIModel controller rolls them up', async () => {
    for (const name of ['story-writer-v2', 'story-writer-v1', 'sentiment-v1', 'sentence-embedder-v1'])
      await space.until(`${name} Ready`, async () =>
        (await space.reasonOf(name)) === 'RuntimeReady' ? true : undefined,
      );
    const model = await space.until('story-writer rolled up', async () => {
      const m = await getJson(space.env, ['get', 'aimodel', 'story-writer', '-n', space.ns]);
      return m.status?.readyVersions === 2 ? m : undefined;
    });
    expect(model.status.conditions.find((c: any) => c.type === 'Ready')).to.include({ status: 'True' });
  });

  it('lists each resource type once for both controllers, and counts passes of both kinds', async () => {
    const samples = [...(await space.operator.metrics())];
    const lists = (resource: string) =>
      samples
        .filter(([k]) => k.startsWith('operator_kube_requests_total{'))
        .filter(([k]) => k.includes('verb="list"') && k.includes(`resource="${resource}"`))
        .reduce((n, [, v]) => n + v, 0);
    expect(Object.fromEntries(WATCHED.map((r) => [r, lists(r)]))).to.deep.equal(
      Object.fromEntries(WATCHED.map((r) => [r, 1])),
    );
    const passes = (kind: string) =>
      samples.find(
        ([k]) =>
          k.includes('operator_reconcile_total{') &&
          k.includes(`kind="${kind}"`) &&
          k.includes('outcome="success"'),
      )?.[1] ?? 0;
    expect(passes('ModelVersion')).to.be.greaterThan(0);
    expect(passes('AIModel')).to.be.greaterThan(0);
  });
});
