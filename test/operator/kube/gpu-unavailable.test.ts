/**
 * A runtime that holds a GPU but cannot get the CUDA provider exits GPUUnavailable (code 6); the operator asks
 * for CUDA on GPU versions only, and reads that exit as Degraded/Ready False with reason GPUUnavailable: pure,
 * then on the real control plane (kwok runs no containers, so the kubelet's report is patched in).
 */
import type { V1Deployment, V1Pod } from '@kubernetes/client-node';
import { expect } from 'chai';
import type { AIModel, ModelVersion } from '../../../crds/src/index.js';
import { desiredVersion } from '../../../operator/src/kube/desired.js';
import { parseOperatorConfig } from '../../../operator/src/kube/operator-config.js';
import { podProblem, worstPodProblem } from '../../../operator/src/kube/pod-problems.js';
import { runtimeEnv } from '../../../operator/src/kube/runtime-env.js';
import { clusterVersionStatus } from '../../../operator/src/kube/version-status.js';
import { examplesNamespace } from './examples-namespace.js';
import { crashLoop } from './fixtures.js';

const config = parseOperatorConfig({});
const mv = (spec: Partial<ModelVersion['spec']> = {}): ModelVersion => ({
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'ModelVersion',
  metadata: { name: 'm-v1', namespace: 'ns', uid: 'u', generation: 1 },
  spec: {
    model: 'm',
    version: 'v1',
    default: true,
    deprecated: false,
    replicas: 1,
    artifact: { uri: 's3://b/m' },
    ...spec,
  },
});
const aimodel: AIModel = {
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'AIModel',
  metadata: { name: 'm' },
  spec: { provider: 'onnx', capabilities: ['text-generation'] },
};
const gpu = { gpu: { count: 1, type: 'nvidia-l4' } } as ModelVersion['spec']['resources'];
const message =
  'GPUUnavailable: EXECUTION_PROVIDER=cuda but the CUDA execution provider is not installed; refusing to run on the CPU';
const pod = (name: string, status: V1Pod['status']): V1Pod => ({ metadata: { name }, status });
const providerOf = (v: ModelVersion) =>
  runtimeEnv(v, config, { grpcPort: 8001, metricsPort: 8002 }).find((e) => e.name === 'EXECUTION_PROVIDER');

describe('operator/kube: GPUUnavailable', () => {
  it('asks the runtime of a GPU version for CUDA only, and leaves a CPU version on its default', () => {
    expect(providerOf(mv({ resources: gpu }))).to.deep.equal({ name: 'EXECUTION_PROVIDER', value: 'cuda' });
    expect(providerOf(mv())).to.equal(undefined);
  });

  it('lets spec.runtime.env override the provider (e.g. auto, to accept the CPU on purpose)', () => {
    const v = mv({
      resources: gpu,
      runtime: { protocol: 'oip-v2', env: [{ name: 'EXECUTION_PROVIDER', value: 'auto' }] },
    });
    expect(providerOf(v)).to.deep.equal({ name: 'EXECUTION_PROVIDER', value: 'auto' });
  });

  const table: [string, V1Pod, string][] = [
    ['the termination message', pod('p0', crashLoop(6, message).status), 'GPUUnavailable'],
    [
      'exit code 6 alone (logs as message)',
      pod('p1', crashLoop(6, 'some log line').status),
      'GPUUnavailable',
    ],
    ['the message with another code', pod('p2', crashLoop(1, message).status), 'GPUUnavailable'],
  ];
  for (const [given, p, reason] of table) {
    it(`reads a runtime container terminated with ${given} as ${reason}`, () => {
      const problem = podProblem(p);
      expect(problem?.reason).to.equal(reason);
      expect(problem?.message).to.include('exited with code');
    });
  }

  it('ranks GPUUnavailable above a crash loop and below an invalid artifact', () => {
    const gpuPod = pod('a', crashLoop(6, message).status);
    expect(worstPodProblem([pod('b', crashLoop(137, 'OOMKilled').status), gpuPod])?.pod).to.equal('a');
    expect(worstPodProblem([gpuPod, pod('c', crashLoop(3, '').status)])?.reason).to.equal('ArtifactInvalid');
  });

  it('sets Degraded True and Ready False with reason GPUUnavailable and the runtime message', () => {
    const v = mv({ resources: gpu });
    const deployment: V1Deployment = {
      metadata: { name: 'm-v1', generation: 1 },
      status: {
        observedGeneration: 1,
        replicas: 1,
        updatedReplicas: 1,
        readyReplicas: 0,
        conditions: [{ type: 'Available', status: 'False', reason: 'MinimumReplicasUnavailable' }],
      },
    };
    const status = clusterVersionStatus({
      version: v,
      desired: desiredVersion(v, aimodel, config),
      deployment,
      pods: [pod('m-v1-abc', crashLoop(6, message).status)],
      now: new Date('2026-05-01T00:00:00Z'),
    });
    const ready = status.conditions?.find((c) => c.type === 'Ready');
    const degraded = status.conditions?.find((c) => c.type === 'Degraded');
    expect(ready).to.include({ status: 'False', reason: 'GPUUnavailable' });
    expect(degraded).to.include({ status: 'True', reason: 'GPUUnavailable' });
    expect(degraded?.message).to.include('refusing to run on the CPU');
  });
});

describe('operator/kube: GPUUnavailable on a real control plane', function () {
  this.timeout(120_000);
  const space = examplesNamespace('op-gpu');
  const { mv: get, reasonOf, podsOf, until, patchPodStatus } = space;

  it('passes EXECUTION_PROVIDER=cuda to GPU runtimes and reports their exit 6 as GPUUnavailable', async () => {
    const envOf = (p: any) => p.spec.containers[0].env.find((e: any) => e.name === 'EXECUTION_PROVIDER');
    const podsOfVersion = (name: string, count: number) =>
      until(`${name} pods`, async () => {
        const pods = await podsOf(name);
        return pods.length === count ? pods : undefined;
      });
    // story-writer-v2 holds an nvidia-l4 per replica (2 replicas); story-writer-v1 runs on the CPU.
    const gpuPods = await podsOfVersion('story-writer-v2', 2);
    for (const p of gpuPods) expect(envOf(p)).to.deep.equal({ name: 'EXECUTION_PROVIDER', value: 'cuda' });
    expect(envOf((await podsOfVersion('story-writer-v1', 1))[0])).to.equal(undefined);

    for (const p of gpuPods) await patchPodStatus(p.metadata.name, crashLoop(6, message));
    await until('GPUUnavailable', async () =>
      (await reasonOf('story-writer-v2')) === 'GPUUnavailable' ? true : undefined,
    );
    const conditions = (await get('story-writer-v2')).status.conditions;
    const degraded = conditions.find((c: any) => c.type === 'Degraded');
    expect(degraded).to.include({ status: 'True', reason: 'GPUUnavailable' });
    expect(degraded.message).to.include('refusing to run on the CPU');
  });
});
