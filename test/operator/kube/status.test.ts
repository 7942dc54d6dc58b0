import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import { type ModelVersion, modelVersionStatus } from '../../../crds/src/index.js';
import { desiredVersion } from '../../../operator/src/kube/desired.js';
import { parseOperatorConfig } from '../../../operator/src/kube/operator-config.js';
import { worstPodProblem } from '../../../operator/src/kube/pod-problems.js';
import { sameStatus } from '../../../operator/src/kube/status-equal.js';
import { isSubset } from '../../../operator/src/kube/subset.js';
import { clusterVersionStatus } from '../../../operator/src/kube/version-status.js';
import { crashLoop, createContainerConfigError, downloading, imagePullBackOff } from './fixtures.js';

const mv: ModelVersion = {
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'ModelVersion',
  metadata: { name: 'm-v1', namespace: 'ns', uid: 'u', generation: 2 },
  spec: {
    model: 'm',
    version: 'v1',
    default: true,
    deprecated: false,
    replicas: 2,
    artifact: { uri: 's3://b/m' },
  },
};
const desired = desiredVersion(
  mv,
  {
    apiVersion: 'ai.paissive.io/v1alpha1',
    kind: 'AIModel',
    metadata: { name: 'm' },
    spec: { provider: 'onnx', capabilities: ['embedding'] },
  },
  parseOperatorConfig({}),
);
const deployment = (ready: number, available: boolean): V1Deployment => ({
  metadata: { name: 'm-v1', generation: 1 },
  status: {
    observedGeneration: 1,
    replicas: 2,
    updatedReplicas: 2,
    readyReplicas: ready,
    conditions: [{ type: 'Available', status: available ? 'True' : 'False', reason: 'x' }],
  },
});
const pod = (name: string, status: V1Pod['status']): V1Pod => ({ metadata: { name }, status });
const unschedulable = pod('p0', {
  conditions: [
    {
      type: 'PodScheduled',
      status: 'False',
      reason: 'Unschedulable',
      message: '0/3 nodes are available: 3 Insufficient nvidia.com/gpu.',
    },
  ],
});
const now = new Date('2026-05-01T00:00:00Z');
const ready = (s: ReturnType<typeof clusterVersionStatus>) => s.conditions?.find((c) => c.type === 'Ready');

describe('operator/kube: pod problems and version status', () => {
  const problems: [string, V1Pod, string][] = [
    ['an unschedulable pod', unschedulable, 'Unschedulable'],
    ['an image pull back-off', pod('p1', imagePullBackOff('x:y').status), 'ImagePullBackOff'],
    [
      'a crash loop after an invalid artifact (termination message)',
      pod('p2', crashLoop(1, 'ArtifactInvalid: sha256 mismatch').status),
      'ArtifactInvalid',
    ],
    ['a crash loop with exit code 3', pod('p3', crashLoop(3, '').status), 'ArtifactInvalid'],
    ['a crash loop with exit code 4', pod('p4', crashLoop(4, 'boom').status), 'ModelLoadFailed'],
    ['a plain crash loop', pod('p5', crashLoop(137, 'OOMKilled').status), 'CrashLoopBackOff'],
    [
      'a crash loop with exit code 5 (the store stayed unreachable)',
      pod('p6', crashLoop(5, '').status),
      'ArtifactUnavailable',
    ],
    [
      'a missing S3 credentials Secret',
      pod('p7', createContainerConfigError('secret "s3-credentials" not found').status),
      'CredentialsMissing',
    ],
    [
      'another container config error',
      pod('p8', createContainerConfigError('configmap "x" not found').status),
      'ConfigInvalid',
    ],
  ];
  for (const [what, p, reason] of problems) {
    it(`given ${what}, reads ${reason}`, () => {
      expect(worstPodProblem([p])?.reason).to.equal(reason);
    });
  }

  it('given several problems, reports the one to fix first (the artifact before scheduling)', () => {
    expect(
      worstPodProblem([unschedulable, pod('p2', crashLoop(3, 'ArtifactInvalid: x').status)])?.reason,
    ).to.equal('ArtifactInvalid');
  });

  it('given an available Deployment, is Ready with counts; the status fits the CRD schema', () => {
    const s = clusterVersionStatus({ version: mv, desired, deployment: deployment(2, true), pods: [], now });
    expect(ready(s)).to.include({ status: 'True', reason: 'RuntimeReady', message: '2/2 replicas ready' });
    expect(s).to.include({ ready: '2/2', readyReplicas: 2, replicas: 2, observedGeneration: 2 });
    modelVersionStatus.parse(s);
  });

  it('given no ready pod and an unschedulable one, is not Ready: Unschedulable with the scheduler message, and Degraded', () => {
    const s = clusterVersionStatus({
      version: mv,
      desired,
      deployment: deployment(0, false),
      pods: [unschedulable],
      now,
    });
    expect(ready(s)).to.include({ status: 'False', reason: 'Unschedulable' });
    expect(ready(s)?.message).to.include('Insufficient nvidia.com/gpu');
    expect(s.conditions?.find((c) => c.type === 'Degraded')).to.include({
      status: 'True',
      reason: 'Unschedulable',
    });
    modelVersionStatus.parse(s);
  });

  it('given an available Deployment with one bad pod, stays Ready but Degraded', () => {
    const s = clusterVersionStatus({
      version: mv,
      desired,
      deployment: deployment(1, true),
      pods: [unschedulable],
      now,
    });
    expect(ready(s)?.status).to.equal('True');
    expect(s.conditions?.find((c) => c.type === 'Degraded')?.status).to.equal('True');
  });

  it('given no Deployment yet, is Progressing: RuntimeStarting', () => {
    const s = clusterVersionStatus({ version: mv, desired, pods: [], now });
    expect(ready(s)).to.include({ status: 'False', reason: 'RuntimeStarting' });
    expect(s.conditions?.find((c) => c.type === 'Progressing')?.status).to.equal('True');
  });

  it('given a version that should have no runtime, says why and fits the schema', () => {
    const s = clusterVersionStatus({
      version: mv,
      desired: { kind: 'none', reason: 'ModelNotFound', message: 'gone', problem: true },
      pods: [],
      now,
    });
    expect(ready(s)).to.include({ status: 'False', reason: 'ModelNotFound' });
    modelVersionStatus.parse(s);
  });

  it('given a pod fetching its artifact, shows what the prober heard in status.artifact (only for that pod)', () => {
    const fetching = {
      ...pod('p9', downloading('10.0.0.9').status),
      metadata: { name: 'p9', namespace: 'ns' },
    };
    const heard = new Map([['ns/p9', { state: 'downloading' as const, bytesDownloaded: 5, bytesTotal: 50 }]]);
    const s = clusterVersionStatus({
      version: mv,
      desired,
      deployment: deployment(0, false),
      pods: [fetching],
      downloads: (key) => heard.get(key),
      now,
    });
    expect(ready(s)).to.include({ status: 'False', reason: 'RuntimeStarting' });
    expect(s.artifact).to.deep.equal({
      state: 'Downloading',
      bytesDownloaded: 5,
      bytesTotal: 50,
      message: 'downloading: 5 of 50 bytes',
    });
    modelVersionStatus.parse(s);
  });

  it('given a pod that exited with ArtifactUnavailable, status.artifact says Unavailable', () => {
    const s = clusterVersionStatus({
      version: mv,
      desired,
      deployment: deployment(0, false),
      pods: [pod('p6', crashLoop(5, 'ArtifactUnavailable: cannot fetch s3://b/m: 503').status)],
      now,
    });
    expect(ready(s)).to.include({ status: 'False', reason: 'ArtifactUnavailable' });
    expect(s.artifact?.state).to.equal('Unavailable');
    expect(s.artifact?.message).to.include('cannot fetch s3://b/m');
  });

  it('computed twice with nothing changed, is the same status (no write)', () => {
    const first = clusterVersionStatus({
      version: mv,
      desired,
      deployment: deployment(2, true),
      pods: [],
      now,
    });
    const second = clusterVersionStatus({
      version: { ...mv, status: first },
      desired,
      deployment: deployment(2, true),
      pods: [],
      now: new Date(),
    });
    expect(sameStatus(first, second)).to.equal(true);
  });
});

describe('operator/kube: isSubset (skip apply when the live object already matches)', () => {
  const cases: [string, unknown, unknown, boolean][] = [
    ['live has extra defaulted fields', { a: 1, b: { c: 'x' } }, { a: 1, b: { c: 'x', d: 2 }, e: 3 }, true],
    ['a value differs', { a: 1 }, { a: 2 }, false],
    ['a field is missing live', { a: 1, b: 2 }, { a: 1 }, false],
    [
      'lists equal element by element',
      { l: [{ n: 'x', v: 1 }] },
      { l: [{ n: 'x', v: 1, extra: true }] },
      true,
    ],
    ['a list has another length', { l: [1] }, { l: [1, 2] }, false],
    ['undefined desired fields are ignored', { a: undefined }, {}, true],
  ];
  for (const [what, desired, live, expected] of cases) {
    it(`given ${what}, returns ${expected}`, () => {
      expect(isSubset(desired, live)).to.equal(expected);
    });
  }
});
