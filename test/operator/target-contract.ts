/**
 * The contract every operator target (operator/src/target.ts) keeps, run by test/operator/kube/target.test.ts
 * (the test control plane, kwok making pods Ready) and test/operator/local/target.test.ts (real runtime
 * processes serving the example models). Each harness says what "running" and "a change" mean on its
 * platform; the assertions are the same.
 */
import { expect } from 'chai';
import type { AIModel, ModelVersion, ModelVersionStatus } from '../../crds/src/index.js';
import type { RuntimeTarget } from '../../operator/src/target.js';
import { eventually } from '../support/eventually.js';

export interface TargetHarness {
  readonly target: RuntimeTarget;
  /** The onnx AIModel of the versions below, as the platform stores it. */
  readonly model: AIModel;
  /** A ModelVersion of that model, stored on the platform (in the cluster: with its uid, for owner references). */
  version(name: string, o: { replicas: number; artifactUri?: string }): Promise<ModelVersion>;
  /** The version's runtimes that exist now: pods (not terminating) or processes. */
  running(version: ModelVersion): Promise<number>;
  /** Moves whenever the target changes something on the platform: API writes, process starts and stops. */
  fingerprint(): Promise<string>;
  /**
   * What the platform shows when a runtime cannot fetch its artifact. Locally the real runtime exits 5; kwok
   * runs no containers, so in the cluster the harness writes the pods' status as the kubelet would.
   */
  artifactMissing(version: ModelVersion): Promise<void>;
}

const readyOf = (s: ModelVersionStatus) => s.conditions?.find((c) => c.type === 'Ready');

export function targetContract(name: string, harness: () => TargetHarness): void {
  describe(`RuntimeTarget contract: ${name}`, () => {
    let h: TargetHarness;
    let served: ModelVersion;
    before(() => {
      h = harness();
    });
    const statusUntil = (v: ModelVersion, what: string, check: (s: ModelVersionStatus) => boolean) =>
      eventually(
        async () => {
          const s = h.target.status(v, h.model, new Date());
          return check(s) ? s : undefined;
        },
        `${v.metadata.name}: ${what}`,
        60_000,
      );

    it('applies a version: it becomes Ready with an endpoint, one runtime running', async () => {
      served = await h.version('contract-ready', { replicas: 1 });
      await h.target.apply(served, h.model);
      const status = await statusUntil(served, 'Ready', (s) => readyOf(s)?.status === 'True');
      expect(readyOf(status)?.reason).to.equal('RuntimeReady');
      expect(status.endpoint).to.be.a('string').and.match(/:\d+$/);
      expect(status).to.include({ protocol: 'oip-v2', readyReplicas: 1, replicas: 1 });
      expect(await h.running(served)).to.equal(1);
    });

    it('applying the same version again changes nothing on the platform', async () => {
      const before = await h.fingerprint();
      await h.target.apply(served, h.model);
      await h.target.apply(served, h.model);
      expect(await h.fingerprint()).to.equal(before);
      expect(readyOf(h.target.status(served, h.model, new Date()))?.status).to.equal('True');
    });

    it('a version scaled to 2 runs 2 runtimes and reports them in status.replicas and readyReplicas', async () => {
      const scaled = await h.version('contract-scaled', { replicas: 2 });
      await h.target.apply(scaled, h.model);
      const status = await statusUntil(scaled, '2 ready', (s) => s.readyReplicas === 2);
      expect(status).to.include({ replicas: 2, readyReplicas: 2, ready: '2/2' });
      expect(await h.running(scaled)).to.equal(2);
      await h.target.remove(scaled);
    });

    it('a version whose artifact is missing reports ArtifactUnavailable, never Ready', async () => {
      const missing = await h.version('contract-missing', {
        replicas: 1,
        artifactUri: 'file:///nonexistent/paissive-contract/model',
      });
      await h.target.apply(missing, h.model);
      await h.artifactMissing(missing);
      const status = await statusUntil(
        missing,
        'ArtifactUnavailable',
        (s) => readyOf(s)?.reason === 'ArtifactUnavailable',
      );
      expect(readyOf(status)?.status).to.equal('False');
      expect(status.artifact?.state).to.equal('Unavailable');
      await h.target.remove(missing);
    });

    it('removing a version removes its runtime', async () => {
      await h.target.remove(served);
      await eventually(
        async () => ((await h.running(served)) === 0 ? true : undefined),
        'no runtime left',
        60_000,
      );
      await h.target.remove(served); // idempotent
    });
  });
}
