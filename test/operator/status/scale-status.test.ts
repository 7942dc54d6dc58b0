import type { V1Deployment } from '@kubernetes/client-node';
import { expect } from 'chai';
import type { ModelVersion } from '../../../crds/src/index.js';
import { labelSelector, scaleStatus } from '../../../operator/src/status/scale-status.js';

const mv: ModelVersion = {
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'ModelVersion',
  metadata: { name: 'm-v1', namespace: 'ns' },
  spec: { model: 'm', version: 'v1', default: false, deprecated: false, replicas: 3 },
};
const deployment = (status: V1Deployment['status']): V1Deployment => ({ metadata: { name: 'm-v1' }, status });

describe('operator/status: scale status (the scale subresource reads it)', () => {
  const cases: [string, V1Deployment | undefined, number][] = [
    ['no Deployment yet', undefined, 0],
    ['a Deployment without status', deployment(undefined), 0],
    ['3 pods of which 1 is ready (a scale-up in flight)', deployment({ replicas: 3, readyReplicas: 1 }), 3],
    ['4 pods during a rolling update of 3', deployment({ replicas: 4, readyReplicas: 3 }), 4],
  ];
  for (const [what, d, replicas] of cases) {
    it(`given ${what}, status.replicas is ${replicas} (pods that exist, as the Deployment counts)`, () => {
      expect(scaleStatus(mv, d).replicas).to.equal(replicas);
    });
  }

  it("status.selector selects the Deployment's pods, and does not depend on the Deployment", () => {
    expect(scaleStatus(mv, undefined).selector).to.equal('ai.paissive.io/modelversion=m-v1');
    expect(scaleStatus(mv, deployment({ replicas: 1 })).selector).to.equal(
      'ai.paissive.io/modelversion=m-v1',
    );
  });

  it('a label selector string has its keys sorted, so reconciles write the same string', () => {
    expect(labelSelector({ b: '2', a: '1' })).to.equal('a=1,b=2');
    expect(labelSelector({})).to.equal('');
  });
});
