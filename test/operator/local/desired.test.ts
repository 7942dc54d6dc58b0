import { expect } from 'chai';
import type { AIModel, ModelVersion } from '../../../crds/src/index.js';
import {
  desiredLocalVersion,
  type LocalRuntimeSpec,
  resolveArtifactUri,
} from '../../../operator/src/local/desired.js';

const model = (name: string, provider: 'onnx' | 'openai' = 'onnx'): AIModel => ({
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'AIModel',
  metadata: { name },
  spec:
    provider === 'onnx'
      ? { provider, capabilities: ['text-generation'] }
      : { provider, capabilities: ['chat'], endpoint: { baseURL: 'https://api.example.com/v1' } },
});

const version = (name: string, spec: Partial<ModelVersion['spec']> = {}): ModelVersion => ({
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'ModelVersion',
  metadata: { name },
  spec: {
    model: 'm',
    version: 'v1',
    default: false,
    deprecated: false,
    replicas: 1,
    artifact: { uri: 'file:models/m' },
    ...spec,
  },
});

describe('operator/local: desiredLocalVersion', () => {
  const context = { sources: new Map([['ModelVersion/m-v1', '/repo/examples/m.yaml']]), host: '127.0.0.1' };
  const runtimesOf = (v: ModelVersion, m: AIModel | undefined = model('m')): LocalRuntimeSpec[] => {
    const desired = desiredLocalVersion(v, m, context);
    if (!Array.isArray(desired)) throw new Error(`wanted runtimes, got ${desired.reason}`);
    return desired;
  };

  it('given an onnx version, wants one runtime with the runtime env contract', () => {
    const runtimes = runtimesOf(
      version('m-v1', {
        configuration: { task: 'generate' },
        artifact: { uri: 'file:models/m', sha256: 'a'.repeat(64) },
      }),
    );
    expect(runtimes.map((r) => r.key)).to.deep.equal(['m-v1/0']);
    expect(runtimes[0]?.env).to.deep.equal({
      MODEL_NAME: 'm',
      MODEL_VERSION: 'v1',
      MODEL_ARTIFACT_URI: 'file:///repo/examples/models/m',
      MODEL_ARTIFACT_SHA256: 'a'.repeat(64),
      MODEL_CONFIGURATION: '{"task":"generate"}',
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      METRICS_PORT: '0',
      DRAIN_DELAY_SECONDS: '0',
    });
  });

  const skips: [string, ModelVersion, AIModel | undefined, string][] = [
    ['a version of a missing model', version('m-v1', { model: 'nope' }), undefined, 'ModelNotFound'],
    ['a version of an openai model', version('m-v1'), model('m', 'openai'), 'ExternalEndpoint'],
    ['zero replicas', version('m-v1', { replicas: 0 }), model('m'), 'ScaledToZero'],
    ['no artifact', version('m-v1', { artifact: undefined }), model('m'), 'ArtifactInvalid'],
  ];
  for (const [what, v, m, reason] of skips) {
    it(`given ${what}, wants no runtime and says ${reason}`, () => {
      expect(desiredLocalVersion(v, m, context)).to.include({ key: 'm-v1', reason });
    });
  }

  it('runs min(replicas, maxReplicas) processes, one key each', () => {
    const three = version('m-v1', { replicas: 3 });
    expect(runtimesOf(three).map((r) => r.key)).to.deep.equal(['m-v1/0']);
    const two = desiredLocalVersion(three, model('m'), { ...context, maxReplicas: 2 }) as LocalRuntimeSpec[];
    expect(two.map((r) => r.key)).to.deep.equal(['m-v1/0', 'm-v1/1']);
  });

  it('is deterministic, and the hash changes only when the process must restart', () => {
    const a = runtimesOf(version('m-v1'))[0];
    const b = runtimesOf(version('m-v1'))[0];
    const c = runtimesOf(version('m-v1', { configuration: { defaultMaxTokens: 8 } }))[0];
    expect(a?.hash).to.equal(b?.hash);
    expect(a?.hash).to.not.equal(c?.hash);
  });

  const uris: [string, string | undefined, string][] = [
    ['file:///abs/model', '/x/y.yaml', 'file:///abs/model'],
    ['file:../models/m', '/repo/examples/a.yaml', 'file:///repo/models/m'],
    ['file:/abs/m', '/x/y.yaml', 'file:///abs/m'],
    ['s3://bucket/m.tar.gz', '/x/y.yaml', 's3://bucket/m.tar.gz'],
  ];
  for (const [uri, source, expected] of uris) {
    it(`resolves ${uri} from ${source} to ${expected}`, () => {
      expect(resolveArtifactUri(uri, source)).to.equal(expected);
    });
  }
});
