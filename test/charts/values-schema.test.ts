/**
 * values.schema.json (a wrong type fails `helm lint` and `helm template` naming the field) and the CRDs as
 * templates Helm upgrades, rendered by the real helm built with the cluster.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { parse } from 'yaml';
import { CHART_CRDS_DIR } from '../../crds/src/generate.js';
import {
  applyCrds,
  type ClusterEnv,
  createNamespace,
  deleteNamespace,
  getJson,
  requireCluster,
} from '../support/cluster.js';
import { CHART, helmBinary, renderChart, run } from './helm.js';

describe('charts/paissive: values schema and CRDs', function () {
  this.timeout(60_000);
  let env: ClusterEnv;
  let helm: string;
  const render = (...set: string[]) => renderChart('hy', 'paissive', set);
  /** helm's error text for a command that must fail. */
  const refusal = (args: string[]) =>
    run(helm, args).then(
      () => 'succeeded',
      (err: Error & { stdout?: string; stderr?: string }) =>
        `${err.stdout ?? ''}${err.stderr ?? err.message}`,
    );

  before(function () {
    env = requireCluster(this);
    helm = helmBinary();
  });

  describe('values.schema.json', () => {
    it('types every value in values.yaml: each key is a declared property, none falls through', async () => {
      const values = parse(await readFile(join(CHART, 'values.yaml'), 'utf8'));
      const schema = JSON.parse(await readFile(join(CHART, 'values.schema.json'), 'utf8'));
      const untyped: string[] = [];
      const walk = (value: unknown, node: any, path: string): void => {
        if (Array.isArray(value)) {
          for (const [i, v] of value.entries()) walk(v, node.items ?? {}, `${path}[${i}]`);
          return;
        }
        if (typeof value !== 'object' || value === null) return;
        for (const [key, child] of Object.entries(value)) {
          const declared = node.properties?.[key];
          const mapped =
            typeof node.additionalProperties === 'object' ? node.additionalProperties : undefined;
          if (declared ?? mapped) walk(child, declared ?? mapped, `${path}.${key}`);
          else if (node.type === 'object' && node.properties) untyped.push(`${path}.${key}`);
        }
      };
      walk(values, schema, '');
      expect(untyped).to.deep.equal([]);
      expect(schema.additionalProperties, 'a misspelt top-level key is refused').to.equal(false);
    });

    it('the default values lint and render', async () => {
      expect((await run(helm, ['lint', CHART])).stdout).to.include('0 chart(s) failed');
      expect(await render()).to.not.deep.equal([]);
    });

    it('`helm lint` and `helm template` refuse router.replicas=abc naming the field', async () => {
      for (const command of [
        ['lint', CHART],
        ['template', 'hy', CHART],
      ]) {
        const text = await refusal([...command, '--set', 'router.replicas=abc']);
        expect(text, command[0]).to.include("at '/router/replicas': got string, want integer");
      }
    });

    const bad: [string, string][] = [
      ['operator.replicas=0', "at '/operator/replicas': minimum: got 0, want 1"],
      ['router.service.type=Ingress', "at '/router/service/type': value must be one of"],
      ['router.service.port=70000', "at '/router/service/port': maximum"],
      ['operator.logLevel=verbose', "at '/operator/logLevel': value must be one of"],
      ['image.pullPolicy=Sometimes', "at '/image/pullPolicy'"],
      ['operator.config.runtimePort=0', "at '/operator/config/runtimePort'"],
      ['operator.config.modelCacheSizeLimit=lots', "at '/operator/config/modelCacheSizeLimit'"],
      ['crds.install=maybe', "at '/crds/install': got string, want boolean"],
      ['networkPolicy.runtimeNamespaces[0]=Bad_NS', "at '/networkPolicy/runtimeNamespaces/0'"],
      [
        'router.autoscaling.targetCPUUtilizationPercentage=150',
        "at '/router/autoscaling/targetCPUUtilizationPercentage'",
      ],
      ['router.resources.requests.cpu=lots', "at '/router/resources/requests/cpu'"],
      ['metrics.serviceMonitor.interval=often', "at '/metrics/serviceMonitor/interval'"],
      ['routerr.replicas=2', "additional properties 'routerr' not allowed"],
      ['router.replica=2', "additional properties 'replica' not allowed"],
    ];
    for (const [set, message] of bad) {
      it(`refuses ${set}`, async () => {
        expect(await refusal(['template', 'hy', CHART, '--set', set])).to.include(message);
      });
    }
  });

  describe('CRDs', () => {
    it('are templates Helm upgrades, kept on uninstall, equal to the generated files', async () => {
      const crds = (await render()).filter((o) => o.kind === 'CustomResourceDefinition');
      expect(crds.map((c) => c.metadata.name).sort()).to.deep.equal([
        'aimodels.ai.paissive.io',
        'modelversions.ai.paissive.io',
      ]);
      for (const crd of crds) {
        expect(crd.metadata.annotations).to.deep.equal({ 'helm.sh/resource-policy': 'keep' });
        expect(crd.metadata.labels).to.include({ 'app.kubernetes.io/managed-by': 'Helm' });
        const file = parse(
          await readFile(join(CHART_CRDS_DIR, `ai.paissive.io_${crd.spec.names.plural}.yaml`), 'utf8'),
        );
        expect(crd.spec).to.deep.equal(file.spec);
      }
      // Helm's crds/ folder is installed once and never upgraded: nothing may sit there.
      const inCrdsFolder = await readFile(join(CHART, 'crds', 'ai.paissive.io_aimodels.yaml')).catch(
        () => null,
      );
      expect(inCrdsFolder).to.equal(null);
    });

    it('crds.install=false renders none; crds.keep=false drops the keep policy', async () => {
      expect(
        (await render('crds.install=false')).some((o) => o.kind === 'CustomResourceDefinition'),
      ).to.equal(false);
      const loose = (await render('crds.keep=false')).filter((o) => o.kind === 'CustomResourceDefinition');
      expect(loose).to.have.length(2);
      for (const crd of loose)
        expect(crd.metadata.annotations ?? {}).to.not.have.property('helm.sh/resource-policy');
    });

    // CRDs a release put there from the old chart's crds/ folder (or `kubectl apply -f crds/`) carry no Helm
    // ownership: the upgrade path in docs/cluster.md is --take-ownership. Dry runs only: the cluster's CRDs
    // are shared by every suite.
    it('CRDs that exist without Helm ownership: install is refused naming them, --take-ownership adopts them', async () => {
      const ns = await createNamespace(env, 'crd-adopt');
      try {
        await applyCrds(env);
        const live = await getJson(env, ['get', 'crd', 'aimodels.ai.paissive.io']);
        const install = (...extra: string[]) =>
          run(helm, ['install', ns, CHART, '-n', ns, '--dry-run=server', ...extra], {
            env: { ...process.env, KUBECONFIG: env.KUBECONFIG },
          });
        if (!live.metadata.annotations?.['meta.helm.sh/release-name']) {
          const refused = await install().then(
            () => 'installed',
            (err: Error & { stderr?: string }) => err.stderr ?? err.message,
          );
          expect(refused).to.include('CustomResourceDefinition "aimodels.ai.paissive.io"');
          expect(refused).to.include('invalid ownership metadata');
        }
        expect((await install('--take-ownership')).stdout).to.include('STATUS: pending-install');
      } finally {
        await deleteNamespace(env, ns);
      }
    });
  });
});
