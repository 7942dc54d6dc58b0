/**
 * spec.traffic on the real control plane: the operator rolls the effective split up into status.traffic,
 * which `kubectl get aimodels` prints in the TRAFFIC column, and follows it as versions come and go.
 */
import { expect } from 'chai';
import { getJson, table } from '../../support/cluster.js';
import { examplesNamespace } from './examples-namespace.js';

describe('operator/kube: the TRAFFIC column of kubectl get aimodels', function () {
  this.timeout(120_000);
  const space = examplesNamespace('traffic');
  const { until, patch } = space;

  const trafficOf = async (name: string) =>
    (await table(space.env, space.ns, 'aimodels')).find((r) => r.NAME === name)?.TRAFFIC;
  const split = (v2: number, v1: number) =>
    patch('aimodel', 'story-writer', {
      spec: {
        traffic: [
          { version: 'v2', weight: v2 },
          { version: 'v1', weight: v1 },
        ],
      },
    });
  const column = (name: string, expected: string) =>
    until(`${name} TRAFFIC ${expected || '(empty)'}`, async () =>
      (await trafficOf(name)) === expected ? true : undefined,
    );

  // The example's v1 is deprecated: it can take no share until that is lifted.
  it('shows the effective split: the deprecated v1 gives its share to v2; no TRAFFIC without spec.traffic', async () => {
    await until('story-writer 2/2', async () =>
      (await table(space.env, space.ns, 'aimodels')).find((r) => r.NAME === 'story-writer')?.READY === '2/2'
        ? true
        : undefined,
    );
    await split(90, 10);
    await column('story-writer', 'v2=100');
    expect(await trafficOf('sentiment')).to.equal('');
  });

  it('follows the versions and the split: v1 no longer deprecated, then a new split', async () => {
    await patch('modelversion', 'story-writer-v1', { spec: { deprecated: false } });
    await column('story-writer', 'v2=90,v1=10');
    await split(50, 50);
    await column('story-writer', 'v2=50,v1=50');
  });

  it('removing spec.traffic removes status.traffic', async () => {
    await patch('aimodel', 'story-writer', { spec: { traffic: null } });
    await column('story-writer', '');
    const model = await getJson(space.env, ['get', 'aimodel', 'story-writer', '-n', space.ns]);
    expect(model.status).to.not.have.property('traffic');
  });
});
