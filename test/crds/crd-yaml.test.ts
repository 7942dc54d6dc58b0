import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { aiModelCrd, modelVersionCrd } from '../../crds/src/crd.js';
import { CHART_CRDS_DIR, CRDS_DIR, renderCrds } from '../../crds/src/generate.js';
import { QUANTITY } from '../../crds/src/quantity.js';

const schemaOf = (crd: any): any => crd.spec.versions[0].schema.openAPIV3Schema;

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
      expect(c.spec.versions[0].subresources).to.have.property('status').that.deep.equals({});
    }
    expect(aiModelCrd().spec)
      .to.have.nested.property('versions[0].subresources')
      .that.deep.equals({ status: {} });
  });

  it('ModelVersion has the scale subresource: spec.replicas, status.replicas, status.selector', () => {
    expect(modelVersionCrd().spec)
      .to.have.nested.property('versions[0].subresources.scale')
      .that.deep.equals({
        specReplicasPath: '.spec.replicas',
        statusReplicasPath: '.status.replicas',
        labelSelectorPath: '.status.selector',
      });
    const status = schemaOf(modelVersionCrd()).properties.status.properties;
    expect(status.replicas.type).to.equal('integer');
    expect(status.selector.type).to.equal('string');
  });

  it('every field of both CRDs has a description (kubectl explain answers), metadata aside', () => {
    const missing: string[] = [];
    const walk = (node: any, path: string): void => {
      for (const [name, child] of Object.entries<any>(node.properties ?? {})) {
        const at = `${path}.${name}`;
        // The API server refuses any schema on metadata but its type; explain shows ObjectMeta's docs.
        if (/^\w+\.metadata$/.test(at)) continue;
        if (typeof child.description !== 'string' || child.description.trim() === '') missing.push(at);
        walk(child, at);
      }
      if (node.items) walk(node.items, `${path}[]`);
      if (typeof node.additionalProperties === 'object') walk(node.additionalProperties, `${path}{}`);
    };
    walk(schemaOf(aiModelCrd()), 'AIModel');
    walk(schemaOf(modelVersionCrd()), 'ModelVersion');
    expect(missing, 'fields without a description').to.deep.equal([]);
  });

  it('quantities are int-or-string with the quantity pattern; condition times are date-time', () => {
    const spec = schemaOf(modelVersionCrd()).properties.spec.properties;
    for (const q of [
      spec.resources.properties.cpu,
      spec.resources.properties.memory,
      spec.cache.properties.sizeLimit,
    ]) {
      expect(q).to.include({ 'x-kubernetes-int-or-string': true });
      expect(q).to.not.have.property('type');
      expect(q.pattern).to.equal(QUANTITY.source);
    }
    for (const crd of [aiModelCrd(), modelVersionCrd()]) {
      const time = schemaOf(crd).properties.status.properties.conditions.items.properties.lastTransitionTime;
      expect(time).to.deep.equal({
        type: 'string',
        format: 'date-time',
        description: 'When status last changed (RFC 3339)',
      });
    }
  });

  it('printer columns show what kubectl get promises', () => {
    const columns = (crd: Record<string, unknown>) =>
      (
        crd as { spec: { versions: { additionalPrinterColumns: { name: string }[] }[] } }
      ).spec.versions[0]?.additionalPrinterColumns.map((c) => c.name);
    expect(columns(aiModelCrd())).to.deep.equal(['Provider', 'Default', 'Ready', 'Reason', 'Traffic', 'Age']);
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
