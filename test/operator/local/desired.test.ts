import { expect } from 'chai';
import type { AIModel, ModelVersion } from '../../../crds/src/index.js';
import { desiredLocalState, resolveArtifactUri } from '../../../operator/src/local/desired.js';

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

describe('operator/local: desiredLocalState', () => {
  const sources = new Map([['ModelVersion/m-v1', '/repo/examples/m.yaml']]);
  const input = (versions: ModelVersion[], models = [model('m')]) => ({
    aiModels: models,
    modelVersions: versions,
    sources,
    host: '127.0.0.1',
  });

  it('given an onnx version, wants one runtime with the runtime env contract', () => {
    const { runtimes, skipped } = desiredLocalState(
      input([
        version('m-v1', {
          configuration: { task: 'generate' },
          artifact: { uri: 'file:models/m', sha256: 'a'.repeat(64) },
        }),
      ]),
    );
    expect(skipped).to.deep.equal([]);
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

  const skips: [string, ModelVersion, AIModel[], string][] = [
    ['a version of a missing model', version('m-v1', { model: 'nope' }), [model('m')], 'ModelNotFound'],
    ['a version of an openai model', version('m-v1'), [model('m', 'openai')], 'ExternalEndpoint'],
    ['zero replicas', version('m-v1', { replicas: 0 }), [model('m')], 'ScaledToZero'],
    ['no artifact', version('m-v1', { artifact: undefined }), [model('m')], 'ArtifactInvalid'],
  ];
  for (const [what, v, models, reason] of skips) {
    it(`given ${what}, wants no runtime and says ${reason}`, () => {
      const state = desiredLocalState(input([v], models));
      expect(state.runtimes).to.deep.equal([]);
      expect(state.skipped[0]?.reason).to.equal(reason);
    });
  }

  it('is deterministic, and the hash changes only when the process must restart', () => {
    const a = desiredLocalState(input([version('m-v1')])).runtimes[0];
    const b = desiredLocalState(input([version('m-v1')])).runtimes[0];
    const c = desiredLocalState(input([version('m-v1', { configuration: { defaultMaxTokens: 8 } })]))
      .runtimes[0];
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
