/**
 * One contract for every catalog (the manifest folder of local mode, the Kubernetes API of a cluster):
 * models and versions appear, versions sort newest first, status decides readiness, addresses come from
 * where runtimes run, changes notify, deletions disappear.
 */
import { expect } from 'chai';
import type { Catalog } from '../../../api/src/catalog/catalog.js';
import type { ModelVersionStatus } from '../../../crds/src/index.js';
import { eventually } from '../../support/eventually.js';

export interface CatalogHarness {
  readonly catalog: Catalog;
  /** Creates or replaces resources given as YAML documents. */
  apply(yaml: string): Promise<void>;
  /** Writes a version's status (as its operator would) and where its runtimes are. */
  publish(version: string, status: ModelVersionStatus, addresses: string[]): Promise<void>;
  delete(kind: 'AIModel' | 'ModelVersion', name: string): Promise<void>;
}

const model = (name: string) => `apiVersion: ai.paissive.io/v1alpha1
kind: AIModel
metadata: {name: ${name}}
spec: {provider: onnx, capabilities: [text-generation], fallbacks: [other], cache: {ttlSeconds: 60}}`;

const version = (model: string, v: string, flags = '') => `apiVersion: ai.paissive.io/v1alpha1
kind: ModelVersion
metadata: {name: ${model}-${v}}
spec: {model: ${model}, version: ${v}, artifact: {uri: "s3://m/${v}"}${flags}}`;

const readyStatus = (endpoint: string): ModelVersionStatus => ({
  observedGeneration: 1,
  conditions: [
    {
      type: 'Ready',
      status: 'True',
      reason: 'RuntimeReady',
      message: '1/1',
      lastTransitionTime: '2026-01-01T00:00:00Z',
      observedGeneration: 1,
    },
  ],
  replicas: 1,
  readyReplicas: 1,
  ready: '1/1',
  endpoint,
  protocol: 'oip-v2',
});

export function catalogContract(name: string, harness: () => CatalogHarness): void {
  describe(`${name}: the catalog contract`, function () {
    this.timeout(30_000);

    it('is loaded, and shows applied models with their versions newest first, not ready without status', async () => {
      const h = harness();
      expect(h.catalog.loaded).to.equal(true);
      await h.apply(
        [
          model('writer'),
          version('writer', 'v2', ', default: true'),
          version('writer', 'v10'),
          version('writer', 'v1', ', deprecated: true'),
        ].join('\n---\n'),
      );
      const writer = await eventually(async () => {
        const m = h.catalog.model('writer');
        return m?.versions.length === 3 ? m : undefined;
      }, 'writer with 3 versions');
      expect(writer.spec).to.deep.include({
        provider: 'onnx',
        fallbacks: ['other'],
        cache: { ttlSeconds: 60, scope: 'caller' }, // the default, applied by zod and by the API server alike
      });
      expect(writer.versions.map((v) => v.version)).to.deep.equal(['v10', 'v2', 'v1']);
      expect(writer.versions.find((v) => v.version === 'v2')?.spec.default).to.equal(true);
      expect(writer.versions.every((v) => !v.ready && v.addresses.length === 0)).to.equal(true);
      expect(h.catalog.models().map((m) => m.name)).to.include('writer');
    });

    it('makes a version ready with its addresses once its status says Ready, and tells its listeners', async () => {
      const h = harness();
      let changes = 0;
      const off = h.catalog.onChange(() => {
        changes += 1;
      });
      await h.publish('writer-v2', readyStatus('writer-v2.svc:8001'), ['10.0.0.1:8001', '10.0.0.2:8001']);
      const v2 = await eventually(async () => {
        const v = h.catalog.model('writer')?.versions.find((x) => x.version === 'v2');
        return v?.ready && v.addresses.length === 2 ? v : undefined;
      }, 'v2 ready with 2 addresses');
      expect([...v2.addresses].sort()).to.deep.equal(['10.0.0.1:8001', '10.0.0.2:8001']);
      expect(v2.endpoint).to.equal('writer-v2.svc:8001');
      expect(changes).to.be.greaterThan(0);
      off();
    });

    it('forgets deleted versions and models', async () => {
      const h = harness();
      await h.delete('ModelVersion', 'writer-v1');
      await eventually(
        async () => (h.catalog.model('writer')?.versions.length === 2 ? true : undefined),
        'v1 gone',
      );
      await h.delete('AIModel', 'writer');
      await eventually(
        async () => (h.catalog.model('writer') === undefined ? true : undefined),
        'writer gone',
      );
    });
  });
}
