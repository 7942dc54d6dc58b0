import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { aiModelCrd, modelVersionCrd } from '../../crds/src/crd.js';
import { CHART_CRDS_DIR, CRDS_DIR, renderCrds } from '../../crds/src/generate.js';

describe('crds: generated CustomResourceDefinitions', () => {
  it('committed YAML equals the generator output (run `make crds` after changing crds/src)', async () => {
    for (const [file, text] of Object.entries(renderCrds())) {
      for (const dir of [CRDS_DIR, CHART_CRDS_DIR]) {
        const committed = await readFile(join(dir, file), 'utf8').catch(() => '');
        expect(committed, `${join(dir, file)} is out of date`).to.equal(text);
      }
    }
  });

  it('names, short names, scope and the status subresource follow the contract', () => {
    const cases = [
      { crd: aiModelCrd(), name: 'aimodels.ai.paissive.io', kind: 'AIModel', short: ['aim'] },
      { crd: modelVersionCrd(), name: 'modelversions.ai.paissive.io', kind: 'ModelVersion', short: ['mv'] },
    ];
    for (const { crd, name, kind, short } of cases) {
      const c = parse(JSON.stringify(crd));
      expect(c.metadata.name).to.equal(name);
      expect(c.spec.names.kind).to.equal(kind);
      expect(c.spec.names.shortNames).to.deep.equal(short);
      expect(c.spec.scope).to.equal('Namespaced');
      expect(c.spec.versions[0].name).to.equal('v1alpha1');
      expect(c.spec.versions[0].subresources).to.deep.equal({ status: {} });
    }
  });

  it('printer columns show what kubectl get promises', () => {
    const columns = (crd: Record<string, unknown>) =>
      (
        crd as { spec: { versions: { additionalPrinterColumns: { name: string }[] }[] } }
      ).spec.versions[0]?.additionalPrinterColumns.map((c) => c.name);
    expect(columns(aiModelCrd())).to.deep.equal(['Provider', 'Default', 'Ready', 'Reason', 'Age']);
    expect(columns(modelVersionCrd())).to.include.members([
      'Model',
      'Version',
      'GPU',
      'Ready',
      'Replicas',
      'Reason',
      'Age',
    ]);
  });

  it('the schemas are structural: no additionalProperties:false and no combinators anywhere', () => {
    const walk = (node: unknown, path: string): void => {
      if (typeof node !== 'object' || node === null) return;
      const n = node as Record<string, unknown>;
      expect(n.additionalProperties, path).to.not.equal(false);
      for (const key of ['anyOf', 'oneOf', 'allOf', 'not', '$schema'])
        expect(n, path).to.not.have.property(key);
      for (const [k, v] of Object.entries(n)) walk(v, `${path}.${k}`);
    };
    walk(aiModelCrd(), 'aimodels');
    walk(modelVersionCrd(), 'modelversions');
  });

  it('carries the CEL invariants', () => {
    const text = JSON.stringify([aiModelCrd(), modelVersionCrd()]);
    expect(text).to.include('!(self.metadata.name in self.spec.fallbacks)');
    expect(text).to.include('!(self.default && self.deprecated)');
    expect(text).to.include('self == oldSelf');
  });
});
