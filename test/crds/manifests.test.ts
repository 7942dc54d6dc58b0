import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseManifests } from '../../crds/src/manifests.js';

const model = (spec: string, name = 'm') =>
  `apiVersion: ai.paissive.io/v1alpha1\nkind: AIModel\nmetadata: {name: ${name}}\nspec: ${spec}\n`;
const version = (spec: string, name = 'm-v1') =>
  `apiVersion: ai.paissive.io/v1alpha1\nkind: ModelVersion\nmetadata: {name: ${name}}\nspec: ${spec}\n`;

describe('crds: parseManifests', () => {
  const rejected: [string, string, string][] = [
    ['unknown provider', model('{provider: bedrock, capabilities: [embedding]}'), 'spec.provider'],
    ['no capabilities', model('{provider: onnx, capabilities: []}'), 'spec.capabilities'],
    [
      'own fallback',
      model('{provider: onnx, capabilities: [embedding], fallbacks: [m]}'),
      'cannot be its own fallback',
    ],
    ['openai without endpoint', model('{provider: openai, capabilities: [chat]}'), 'needs spec.endpoint'],
    [
      'endpoint on onnx',
      model('{provider: onnx, capabilities: [chat], endpoint: {baseURL: "http://x"}}'),
      'only for provider openai',
    ],
    ['bad name', model('{provider: onnx, capabilities: [chat]}', 'Bad_Name'), 'metadata.name'],
    [
      'negative price',
      model('{provider: onnx, capabilities: [chat], pricing: {inputPer1kTokens: -1, outputPer1kTokens: 0}}'),
      'inputPer1kTokens',
    ],
    [
      'default and deprecated',
      version('{model: m, version: v1, default: true, deprecated: true}'),
      'deprecated version cannot be the default',
    ],
    ['zero GPUs', version('{model: m, version: v1, resources: {gpu: {count: 0}}}'), 'gpu.count'],
    ['bad sha256', version('{model: m, version: v1, artifact: {uri: "file:///x", sha256: "abc"}}'), 'sha256'],
    ['ftp artifact', version('{model: m, version: v1, artifact: {uri: "ftp://x/y"}}'), 'artifact.uri'],
    ['bad quantity', version('{model: m, version: v1, resources: {memory: lots}}'), 'resources.memory'],
    [
      'S3 credentials on an https artifact',
      version('{model: m, version: v1, artifact: {uri: "https://x/m.tgz", credentialsSecret: {name: s3}}}'),
      'credentialsSecret is for s3:// artifacts only',
    ],
    [
      'a ReadWriteOnce cache claim for two replicas',
      version('{model: m, version: v1, replicas: 2, cache: {persistentVolumeClaim: {}}}'),
      'a ReadWriteOnce cache claim serves one replica',
    ],
    [
      'a storage class for an existing claim',
      version(
        '{model: m, version: v1, cache: {persistentVolumeClaim: {claimName: c, storageClassName: fast}}}',
      ),
      'storageClassName is for the claim the operator creates',
    ],
    ['a bad cache size', version('{model: m, version: v1, cache: {sizeLimit: big}}'), 'cache.sizeLimit'],
    ['not YAML', 'kind: [unclosed', 'invalid YAML'],
  ];
  for (const [what, text, expected] of rejected) {
    it(`given ${what}, reports an error mentioning '${expected}'`, () => {
      const result = parseManifests(text, 'test.yaml');
      expect(result.aiModels.length + result.modelVersions.length).to.equal(0);
      expect(result.errors).to.have.length(1);
      expect(result.errors[0]?.message).to.include(expected);
      expect(result.errors[0]?.source).to.equal('test.yaml#1');
    });
  }

  it('applies the defaults the API server would (replicas 1, not default, not deprecated, USD)', () => {
    const result = parseManifests(
      `${model('{provider: onnx, capabilities: [chat], pricing: {inputPer1kTokens: 1, outputPer1kTokens: 2}}')}---\n${version('{model: m, version: v1}')}`,
      'x.yaml',
    );
    expect(result.errors).to.deep.equal([]);
    expect(result.modelVersions[0]?.spec).to.include({ replicas: 1, default: false, deprecated: false });
    expect(result.aiModels[0]?.spec.pricing?.currency).to.equal('USD');
  });

  it('accepts S3 credentials on an s3 artifact, a shared ReadWriteMany cache claim, an existing claim', () => {
    const result = parseManifests(
      [
        version(
          '{model: m, version: v1, replicas: 3, artifact: {uri: "s3://b/m.tgz", credentialsSecret: {name: s3, accessKeyIdKey: id}}, cache: {sizeLimit: 20Gi, persistentVolumeClaim: {storageClassName: nfs, accessMode: ReadWriteMany}}}',
        ),
        version('{model: m, version: v2, cache: {persistentVolumeClaim: {claimName: models}}}', 'm-v2'),
      ].join('---\n'),
      'x.yaml',
    );
    expect(result.errors).to.deep.equal([]);
    expect(result.modelVersions[1]?.spec.cache?.persistentVolumeClaim).to.deep.equal({
      claimName: 'models',
      accessMode: 'ReadWriteOnce',
    });
  });

  it('ignores other kinds and empty documents', () => {
    const result = parseManifests('apiVersion: v1\nkind: ConfigMap\n---\n---\n', 'x.yaml');
    expect(result).to.deep.include({ ignored: 1, errors: [] });
  });

  it('every example in examples/ is valid', async () => {
    const dir = join(import.meta.dirname, '../../examples');
    for (const file of await readdir(dir)) {
      const result = parseManifests(await readFile(join(dir, file), 'utf8'), file);
      expect(result.errors, file).to.deep.equal([]);
    }
  });
});

describe('examples: artifact digests', () => {
  it('every example artifact sha256 is the digest `make models` produces (the build is deterministic)', async () => {
    const root = join(import.meta.dirname, '../..');
    const digests = JSON.parse(await readFile(join(root, 'models/build/digests.json'), 'utf8')) as Record<
      string,
      string
    >;
    let checked = 0;
    for (const file of await readdir(join(root, 'examples'))) {
      const { modelVersions } = parseManifests(await readFile(join(root, 'examples', file), 'utf8'), file);
      for (const mv of modelVersions) {
        const name = /models\/build\/([a-z0-9-]+)$/.exec(mv.spec.artifact?.uri ?? '')?.[1];
        if (!name) continue;
        expect(mv.spec.artifact?.sha256, `${file} ${mv.metadata.name}`).to.equal(digests[name]);
        checked += 1;
      }
    }
    expect(checked).to.equal(4);
  });
});
