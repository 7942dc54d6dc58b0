/**
 * The generated CRDs as the real API server reads them: int-or-string quantities at admission, the
 * date-time format of conditions, and the descriptions `kubectl explain` prints.
 */
import { expect } from 'chai';
import {
  applyCrds,
  type ClusterEnv,
  createNamespace,
  deleteNamespace,
  kubectl,
  kubectlResult,
  mergePatch,
  requireCluster,
} from '../support/cluster.js';

const version = (name: string, resources: string) => `
apiVersion: ai.paissive.io/v1alpha1
kind: ModelVersion
metadata: {name: ${name}}
spec:
  model: m
  version: v1
  artifact: {uri: 's3://bucket/m'}
  resources: ${resources}
`;

describe('crds: the CRDs on a real API server', function () {
  this.timeout(60_000);
  let env: ClusterEnv;
  let ns: string;
  before(async function () {
    env = requireCluster(this);
    await applyCrds(env);
    ns = await createNamespace(env, 'crds');
  });
  after(async () => {
    if (ns) await deleteNamespace(env, ns);
  });

  const dryRun = (yaml: string) =>
    kubectlResult(env, ['apply', '--dry-run=server', '-n', ns, '-o', 'json', '-f', '-'], yaml);

  const accepted: [string, string, Record<string, unknown>][] = [
    ['an integer cpu and memory', '{cpu: 2, memory: 4294967296}', { cpu: 2, memory: 4294967296 }],
    ['quantity strings', '{cpu: "500m", memory: "4Gi"}', { cpu: '500m', memory: '4Gi' }],
    ['a decimal cpu string', '{cpu: "1.5"}', { cpu: '1.5' }],
  ];
  for (const [what, resources, stored] of accepted) {
    it(`accepts ${what}, stored as written`, async () => {
      const result = await dryRun(version('ok', resources));
      expect(result.ok, result.output).to.equal(true);
      expect(JSON.parse(result.output).spec.resources).to.deep.equal(stored);
    });
  }

  const refused: [string, string, string][] = [
    ['a word for cpu', '{cpu: abc}', 'spec.resources.cpu'],
    ['a fractional number for cpu (write "1.5" or 1500m)', '{cpu: 1.5}', 'spec.resources.cpu'],
    ['a unit Kubernetes does not have', '{memory: "4GB"}', 'spec.resources.memory'],
  ];
  for (const [what, resources, field] of refused) {
    it(`refuses ${what}, naming ${field}`, async () => {
      const result = await dryRun(version('bad', resources));
      expect(result.ok).to.equal(false);
      expect(result.output).to.include(field);
    });
  }

  it('refuses a condition whose lastTransitionTime is not an RFC 3339 date-time', async () => {
    await kubectl(env, ['apply', '-n', ns, '-f', '-'], version('timed', '{cpu: 1}'));
    const condition = { type: 'Ready', status: 'False', reason: 'X', message: 'x' };
    const write = (lastTransitionTime: string) =>
      mergePatch(
        env,
        { kind: 'modelversion', name: 'timed', namespace: ns, subresource: 'status' },
        { status: { conditions: [{ ...condition, lastTransitionTime }] } },
      ).then(
        () => 'ok',
        (err) => String(err.stderr ?? err),
      );
    expect(await write('2026-05-01T00:00:00.000Z')).to.equal('ok');
    expect(await write('yesterday'))
      .to.include('lastTransitionTime')
      .and.include('date-time');
  });

  it('kubectl explain prints the descriptions', async () => {
    const resources = await kubectl(env, ['explain', 'modelversion.spec.resources']);
    expect(resources).to.include('Compute per runtime replica');
    expect(resources).to.include('cores as an integer (2) or a quantity (500m)');
    expect(resources).to.not.include('<no description>').and.not.include('<empty>');
    const selector = await kubectl(env, ['explain', 'modelversion.status.selector']);
    expect(selector).to.include('Label selector of the runtime pods');
  });

  const model = (traffic: string, stickiness = '') => `
apiVersion: ai.paissive.io/v1alpha1
kind: AIModel
metadata: {name: split}
spec:
  provider: onnx
  capabilities: [chat]
  traffic: ${traffic}
${stickiness ? `  trafficStickiness: ${stickiness}` : ''}
`;
  const trafficRefused: [string, string, string, string][] = [
    [
      'weights adding up to 110',
      '[{version: v2, weight: 90}, {version: v3, weight: 20}]',
      '',
      'spec.traffic weights must add up to 100',
    ],
    [
      'a version named twice',
      '[{version: v2, weight: 50}, {version: v2, weight: 50}]',
      '',
      'names a version more than once',
    ],
    [
      'a fractional weight',
      '[{version: v2, weight: 99.5}, {version: v3, weight: 0.5}]',
      '',
      'spec.traffic[0].weight',
    ],
    [
      'by: header without a header',
      '[{version: v2, weight: 100}]',
      '{by: header}',
      'spec.trafficStickiness.header',
    ],
  ];
  for (const [what, traffic, stickiness, message] of trafficRefused) {
    it(`AIModel spec.traffic: refuses ${what} with a clear message`, async () => {
      const result = await dryRun(model(traffic, stickiness));
      expect(result.ok).to.equal(false);
      expect(result.output).to.include(message);
    });
  }

  it('AIModel spec.traffic: accepts a 90/10 split sticky by caller (the default of by)', async () => {
    const result = await dryRun(model('[{version: v2, weight: 90}, {version: v3, weight: 10}]', '{}'));
    expect(result.ok, result.output).to.equal(true);
    const spec = JSON.parse(result.output).spec;
    expect(spec.traffic).to.deep.equal([
      { version: 'v2', weight: 90 },
      { version: 'v3', weight: 10 },
    ]);
    expect(spec.trafficStickiness).to.deep.equal({ by: 'caller' });
  });
});
