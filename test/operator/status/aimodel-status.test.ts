import { expect } from 'chai';
import type { AIModel, Condition, ModelVersion } from '../../../crds/src/index.js';
import { Reason } from '../../../operator/src/conditions.js';
import { aiModelStatus, versionReason } from '../../../operator/src/status/aimodel-status.js';

const now = new Date('2026-03-01T00:00:00Z');
const model = (spec: Partial<AIModel['spec']> = {}): AIModel => ({
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'AIModel',
  metadata: { name: 'm', generation: 2 },
  spec: { provider: 'onnx', capabilities: ['text-generation'], ...spec },
});
const cond = (status: 'True' | 'False', reason: string, message = ''): Condition => ({
  type: 'Ready',
  status,
  reason,
  message,
  lastTransitionTime: now.toISOString(),
});
const version = (
  v: string,
  ready: Condition,
  flags: { default?: boolean; deprecated?: boolean } = {},
): ModelVersion => ({
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'ModelVersion',
  metadata: { name: `m-${v}` },
  spec: {
    model: 'm',
    version: v,
    default: flags.default ?? false,
    deprecated: flags.deprecated ?? false,
    replicas: 1,
  },
  status: { conditions: [ready], endpoint: `host:${v}` },
});
const readyOf = (s: ReturnType<typeof aiModelStatus>) => s.conditions?.find((c) => c.type === 'Ready');

describe('operator/status: aiModelStatus', () => {
  it('given a ready default, is Ready with counts, default and endpoint', () => {
    const s = aiModelStatus({
      model: model(),
      versions: [
        version('v1', cond('False', Reason.CrashLoopBackOff), { deprecated: true }),
        version('v2', cond('True', Reason.RuntimeReady), { default: true }),
      ],
      now,
    });
    expect(s).to.include({
      defaultVersion: 'v2',
      ready: '1/2',
      versions: 2,
      readyVersions: 1,
      endpoint: 'host:v2',
      observedGeneration: 2,
    });
    expect(readyOf(s)).to.include({ status: 'True', reason: Reason.VersionsReady });
  });

  it('given a default that is not ready, takes its reason and names the version', () => {
    const s = aiModelStatus({
      model: model(),
      versions: [version('v2', cond('False', Reason.ArtifactInvalid, 'bad digest'), { default: true })],
      now,
    });
    expect(readyOf(s)).to.include({ status: 'False', reason: 'v2:ArtifactInvalid' });
    expect(readyOf(s)?.message).to.include('v2').and.include('bad digest');
  });

  const reasons: [string, string, string][] = [
    ['v2', 'Unschedulable', 'v2:Unschedulable'],
    ['1.3.0', 'CrashLoopBackOff', 'v1_3_0:CrashLoopBackOff'],
    ['v1-beta', 'ArtifactInvalid', 'v1_beta:ArtifactInvalid'],
  ];
  for (const [v, reason, expected] of reasons) {
    it(`given version ${v} held back by ${reason}, the reason reads ${expected}`, () => {
      expect(versionReason(v, reason)).to.equal(expected);
      expect(expected).to.match(/^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$/);
    });
  }

  it('given no versions, is not Ready: NoVersions', () => {
    expect(readyOf(aiModelStatus({ model: model(), versions: [], now }))).to.include({
      status: 'False',
      reason: Reason.NoVersions,
    });
  });

  it('given only deprecated versions, is not Ready: NoDefaultVersion', () => {
    const s = aiModelStatus({
      model: model(),
      versions: [version('v1', cond('True', Reason.RuntimeReady), { deprecated: true })],
      now,
    });
    expect(readyOf(s)).to.include({ status: 'False', reason: Reason.NoDefaultVersion });
  });

  it('given two versions marked default, is Degraded: MultipleDefaults', () => {
    const s = aiModelStatus({
      model: model(),
      versions: [
        version('v1', cond('True', 'RuntimeReady'), { default: true }),
        version('v2', cond('True', 'RuntimeReady'), { default: true }),
      ],
      now,
    });
    expect(s.conditions?.find((c) => c.type === 'Degraded')).to.include({
      status: 'True',
      reason: Reason.MultipleDefaults,
    });
    expect(s.defaultVersion).to.equal('v2');
  });

  it('given an openai model, readiness is about credentials', () => {
    const openai = model({
      provider: 'openai',
      endpoint: { baseURL: 'https://api.example.com/v1', apiKeyEnv: 'KEY' },
    });
    expect(
      readyOf(aiModelStatus({ model: openai, versions: [], credentialsAvailable: false, now })),
    ).to.include({
      status: 'False',
      reason: Reason.CredentialsMissing,
    });
    const ok = aiModelStatus({ model: openai, versions: [], credentialsAvailable: true, now });
    expect(readyOf(ok)).to.include({ status: 'True', reason: Reason.ExternalEndpoint });
    expect(ok.endpoint).to.equal('https://api.example.com/v1');
  });

  describe('status.traffic (the TRAFFIC column)', () => {
    const ready = cond('True', Reason.RuntimeReady);
    const starting = cond('False', Reason.RuntimeStarting);
    const traffic = [
      { version: 'v2', weight: 90 },
      { version: 'v3', weight: 10 },
    ];
    const table: [string, Partial<AIModel['spec']>, ModelVersion[], string | undefined][] = [
      ['no spec.traffic: absent', {}, [version('v2', ready), version('v3', ready)], undefined],
      [
        'both ready: the split as written',
        { traffic },
        [version('v2', ready), version('v3', ready)],
        'v2=90,v3=10',
      ],
      [
        'the canary starting: the stable takes all',
        { traffic },
        [version('v2', ready), version('v3', starting)],
        'v2=100',
      ],
      [
        'the canary deprecated: the stable takes all',
        { traffic },
        [version('v2', ready), version('v3', ready, { deprecated: true })],
        'v2=100',
      ],
      ['the canary missing: the stable takes all', { traffic }, [version('v2', ready)], 'v2=100'],
      ['nothing ready', { traffic }, [version('v2', starting), version('v3', starting)], 'none ready'],
    ];
    for (const [what, spec, versions, expected] of table) {
      it(`given ${what}`, () => {
        expect(aiModelStatus({ model: model(spec), versions, now }).traffic).to.equal(expected);
      });
    }
  });
});
