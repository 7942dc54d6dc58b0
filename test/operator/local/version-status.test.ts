import { expect } from 'chai';
import type { ModelVersion } from '../../../crds/src/index.js';
import { Reason } from '../../../operator/src/conditions.js';
import type { RuntimeState } from '../../../operator/src/local/supervisor.js';
import { localVersionStatus } from '../../../operator/src/local/version-status.js';

const version: ModelVersion = {
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'ModelVersion',
  metadata: { name: 'm-v1', generation: 4 },
  spec: { model: 'm', version: 'v1', default: true, deprecated: false, replicas: 3 },
};
const now = new Date('2026-02-01T00:00:00Z');
const runtime = (state: Partial<RuntimeState>): RuntimeState => ({
  key: 'm-v1',
  hash: 'h',
  phase: 'Starting',
  restarts: 0,
  ...state,
});
const ready = (s: ReturnType<typeof localVersionStatus>) => s.conditions?.find((c) => c.type === 'Ready');

describe('operator/local: localVersionStatus', () => {
  it('given a ready runtime, is Ready with its endpoint and observedGeneration', () => {
    const s = localVersionStatus({
      version,
      runtimes: [runtime({ phase: 'Ready', port: 5001, pid: 7 })],
      host: '127.0.0.1',
      now,
      desired: 1,
    });
    expect(ready(s)).to.include({ status: 'True', reason: Reason.RuntimeReady });
    expect(s).to.include({
      endpoint: '127.0.0.1:5001',
      protocol: 'oip-v2',
      observedGeneration: 4,
      ready: '1/1',
    });
  });

  it('given a starting runtime, is Progressing and not Ready', () => {
    const s = localVersionStatus({
      version,
      runtimes: [runtime({ pid: 7 })],
      host: '127.0.0.1',
      now,
      desired: 1,
    });
    expect(ready(s)).to.include({ status: 'False', reason: Reason.RuntimeStarting });
    expect(s.conditions?.find((c) => c.type === 'Progressing')?.status).to.equal('True');
    expect(s.endpoint).to.equal(undefined);
  });

  it('given a runtime in backoff after an invalid artifact, says ArtifactInvalid and is Degraded', () => {
    const failure = { reason: Reason.ArtifactInvalid, message: 'ArtifactInvalid: sha256 mismatch', at: now };
    const s = localVersionStatus({
      version,
      runtimes: [runtime({ phase: 'BackOff', restarts: 2, lastFailure: failure })],
      host: 'h',
      now,
      desired: 1,
    });
    expect(ready(s)).to.include({ status: 'False', reason: Reason.ArtifactInvalid });
    expect(ready(s)?.message).to.include('sha256 mismatch').and.include('restarts: 2');
    expect(s.conditions?.find((c) => c.type === 'Degraded')?.status).to.equal('True');
    expect(s.artifact).to.deep.equal({ state: 'Invalid', message: 'ArtifactInvalid: sha256 mismatch' });
  });

  it('given a runtime fetching its artifact, shows the fetch in status.artifact', () => {
    const s = localVersionStatus({
      version,
      runtimes: [
        runtime({ pid: 7, download: { state: 'downloading', bytesDownloaded: 10, bytesTotal: 40 } }),
      ],
      host: 'h',
      now,
      desired: 1,
    });
    expect(ready(s)).to.include({ status: 'False', reason: Reason.RuntimeStarting });
    expect(s.artifact).to.deep.equal({
      state: 'Downloading',
      bytesDownloaded: 10,
      bytesTotal: 40,
      message: 'downloading: 10 of 40 bytes',
    });
  });

  it('given a runtime whose store stayed unreachable (exit code 5), says ArtifactUnavailable: retried, not a bad spec', () => {
    const failure = {
      reason: Reason.ArtifactUnavailable,
      message: 'ArtifactUnavailable: cannot fetch',
      at: now,
    };
    const s = localVersionStatus({
      version,
      runtimes: [runtime({ phase: 'BackOff', restarts: 1, lastFailure: failure })],
      host: 'h',
      now,
      desired: 1,
    });
    expect(ready(s)).to.include({ status: 'False', reason: Reason.ArtifactUnavailable });
    expect(s.artifact?.state).to.equal('Unavailable');
  });

  it('given a version of an external model, is Ready without a runtime', () => {
    const skipped = { key: 'm-v1', reason: Reason.ExternalEndpoint, message: 'Served by https://x' };
    const s = localVersionStatus({ version, skipped, host: 'h', now, runtimes: [], desired: 0 });
    expect(ready(s)).to.include({ status: 'True', reason: Reason.ExternalEndpoint });
    expect(s.protocol).to.equal('openai');
  });

  it('written twice with nothing changed, is identical (no status churn)', () => {
    const first = localVersionStatus({
      version,
      runtimes: [runtime({ phase: 'Ready', port: 1, pid: 2 })],
      host: 'h',
      now,
      desired: 1,
    });
    const later = new Date(now.getTime() + 60_000);
    const second = localVersionStatus({
      version: { ...version, status: first },
      runtimes: [runtime({ phase: 'Ready', port: 1, pid: 2 })],
      host: 'h',
      now: later,
      desired: 1,
    });
    expect(second).to.deep.equal(first);
  });

  it('counts the processes that exist as status.replicas (one in backoff has none), ready ones as readyReplicas', () => {
    const s = localVersionStatus({
      version,
      runtimes: [
        runtime({ key: 'm-v1/0', phase: 'Ready', port: 5001, pid: 7 }),
        runtime({ key: 'm-v1/1', pid: 8 }),
        runtime({ key: 'm-v1/2', phase: 'BackOff', restarts: 1 }),
      ],
      host: 'h',
      now,
      desired: 3,
    });
    expect(s).to.include({ replicas: 2, readyReplicas: 1, ready: '1/3' });
    expect(s).to.not.have.property('selector');
  });
});
