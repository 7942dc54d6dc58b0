/**
 * What goes wrong, as the operator reports it on the real control plane (Unschedulable for lack of GPUs, a
 * default version holding its model back, ArtifactInvalid, ImagePullBackOff, several defaults), and what the
 * API server refuses at admission with the CRDs' CEL rules. Starts from the examples, every version Ready.
 */
import { expect } from 'chai';
import { type ClusterEnv, getJson, kubectl, kubectlResult, table } from '../../support/cluster.js';
import { eventually } from '../../support/eventually.js';
import { examplesNamespace } from './examples-namespace.js';
import { crashLoop, imagePullBackOff, model, version } from './fixtures.js';

describe('operator/kube: problems reported on a real control plane, and refused at admission', function () {
  this.timeout(120_000);
  const space = examplesNamespace('op-problems');
  const { mv, reasonOf, podsOf, apply, until, patch, patchPodStatus } = space;
  let env: ClusterEnv;
  let ns: string;
  before(async () => {
    env = space.env;
    ns = space.ns;
    for (const name of ['story-writer-v2', 'story-writer-v1', 'sentiment-v1', 'sentence-embedder-v1'])
      await eventually(
        async () => ((await reasonOf(name)) === 'RuntimeReady' ? true : undefined),
        `${name} Ready`,
        60_000,
      );
  });

  it('reports Unschedulable when a version asks for more GPUs than any node has', async () => {
    await apply(
      version(
        'story-writer-v3',
        'story-writer',
        'version: v3\nartifact: {uri: "s3://models/story-writer/v3.tar.gz"}\nresources: {gpu: {count: 16, type: nvidia-a100-80gb}}',
      ),
    );
    await until('Unschedulable', async () =>
      (await reasonOf('story-writer-v3')) === 'Unschedulable' ? true : undefined,
    );
    const row = (await table(env, ns, 'modelversions')).find((r) => r.NAME === 'story-writer-v3');
    expect(row).to.include({ GPU: '16', READY: '0/1', REASON: 'Unschedulable' });
    const ready = (await mv('story-writer-v3')).status.conditions.find((c: any) => c.type === 'Ready');
    expect(ready.message).to.include('Insufficient nvidia.com/gpu');
    const warnings = (
      await getJson(env, [
        'get',
        'events',
        '-n',
        ns,
        '--field-selector',
        'involvedObject.name=story-writer-v3,type=Warning',
      ])
    ).items;
    expect(warnings.map((e: any) => e.reason)).to.include('Unschedulable');
    // Not the default: the model stays Ready on v2 and says it in the rollup.
    await until('the rollup counts v3', async () => {
      const row = (await table(env, ns, 'aimodels')).find((r) => r.NAME === 'story-writer');
      return row?.READY === '2/3' ? row : undefined;
    });
  });

  it('names the version that holds an AIModel back when its default is not ready', async () => {
    await apply(model('big', 'provider: onnx\ncapabilities: [text-generation]'));
    await apply(
      version(
        'big-v1',
        'big',
        'version: v1\ndefault: true\nartifact: {uri: "s3://models/big.tar.gz"}\nresources: {gpu: {count: 9, type: nvidia-a100-80gb}}',
      ),
    );
    const row = await until('big held back', async () => {
      const r = (await table(env, ns, 'aimodels')).find((x) => x.NAME === 'big');
      return r?.REASON === 'v1:Unschedulable' ? r : undefined;
    });
    expect(row).to.include({ DEFAULT: 'v1', READY: '0/1' });
  });

  it('reads a runtime that exits on a bad artifact as ArtifactInvalid, from its termination message', async () => {
    const [pod] = await podsOf('story-writer-v1');
    await patchPodStatus(
      pod.metadata.name,
      crashLoop(3, 'ArtifactInvalid: sha256 mismatch for s3://models/x: expected 1f2e…, actual 9a8b…'),
    );
    await until('ArtifactInvalid', async () =>
      (await reasonOf('story-writer-v1')) === 'ArtifactInvalid' ? true : undefined,
    );
    const ready = (await mv('story-writer-v1')).status.conditions.find((c: any) => c.type === 'Ready');
    expect(ready.message).to.include('sha256 mismatch');
    expect(
      (await mv('story-writer-v1')).status.conditions.find((c: any) => c.type === 'Degraded').status,
    ).to.equal('True');
  });

  it('reads an image that cannot be pulled as ImagePullBackOff', async () => {
    const [pod] = await podsOf('sentiment-v1');
    await patchPodStatus(pod.metadata.name, imagePullBackOff('ghcr.io/paissive/runtime:nope'));
    await until('ImagePullBackOff', async () =>
      (await reasonOf('sentiment-v1')) === 'ImagePullBackOff' ? true : undefined,
    );
  });

  it('reports several default versions of one model as Degraded: MultipleDefaults', async () => {
    await patch('modelversion', 'story-writer-v3', { spec: { default: true } });
    const degraded = await until('MultipleDefaults', async () => {
      const m = await getJson(env, ['get', 'aimodel', 'story-writer', '-n', ns]);
      const c = m.status?.conditions?.find((x: any) => x.type === 'Degraded');
      return c?.reason === 'MultipleDefaults' ? c : undefined;
    });
    expect(degraded.status).to.equal('True');
    await kubectl(env, ['delete', 'modelversion', 'story-writer-v3', '-n', ns]);
  });

  it('refuses invalid resources at admission with the CEL rules', async () => {
    const cases: [string, string][] = [
      [
        model('loop', 'provider: onnx\ncapabilities: [chat]\nfallbacks: [loop]'),
        'a model cannot be its own fallback',
      ],
      [version('x-v1', 'x', 'version: v1\nresources: {gpu: {count: 0}}'), 'greater than or equal to 1'],
      [
        version('x-v2', 'x', 'version: v2\ndefault: true\ndeprecated: true'),
        'a deprecated version cannot be the default',
      ],
      [
        version('x-v3', 'x', 'version: v3\nruntime: {protocol: openai}'),
        'runtime.protocol openai needs runtime.image',
      ],
      [model('ext', 'provider: openai\ncapabilities: [chat]'), 'provider openai needs spec.endpoint'],
    ];
    for (const [yaml, message] of cases) {
      const res = await kubectlResult(env, ['apply', '-n', ns, '-f', '-'], yaml);
      expect(res.ok, yaml).to.equal(false);
      expect(res.output).to.include(message);
    }
    const immutable = await kubectlResult(env, [
      'patch',
      'modelversion',
      'sentiment-v1',
      '-n',
      ns,
      '--type=merge',
      '-p',
      '{"spec":{"version":"v9"}}',
    ]);
    expect(immutable.output).to.include('spec.version is immutable');
  });
});
