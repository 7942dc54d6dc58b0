/**
 * The chart's NetworkPolicies: runtime pods reachable only from this release's router and batch workers, the
 * operator's download probe and Prometheus; the router from its configured peers. Rendered by the real helm,
 * then the whole chart server dry-run against the real control plane. That control plane has no CNI, so it
 * accepts NetworkPolicies without enforcing them: traffic is not tested here.
 */
import { expect } from 'chai';
import type { AIModel, ModelVersion } from '../../crds/src/index.js';
import { desiredVersion } from '../../operator/src/kube/desired.js';
import { parseOperatorConfig } from '../../operator/src/kube/operator-config.js';
import {
  type ClusterEnv,
  createNamespace,
  deleteNamespace,
  kubectl,
  requireCluster,
} from '../support/cluster.js';
import { CHART, helmBinary, renderChart, run } from './helm.js';

describe('charts/paissive: network policy', function () {
  this.timeout(60_000);
  let env: ClusterEnv;
  let helm: string;
  const render = (...set: string[]) => renderChart('hy', 'paissive', set);

  before(function () {
    env = requireCluster(this);
    helm = helmBinary();
  });

  describe('NetworkPolicy', () => {
    const policies = async (...set: string[]) =>
      (await render(...set)).filter((o) => o.kind === 'NetworkPolicy');

    it("lets only this release's router and workers, the operator and Prometheus reach runtime pods", async () => {
      const runtimes = (await policies()).find((p) => p.metadata.name === 'hy-paissive-runtimes');
      expect(runtimes.metadata.namespace).to.equal('paissive');
      expect(runtimes.spec.podSelector.matchLabels).to.deep.equal({
        'app.kubernetes.io/managed-by': 'paissive-operator',
        'app.kubernetes.io/component': 'runtime',
      });
      expect(runtimes.spec.policyTypes).to.deep.equal(['Ingress']);
      const [router, operator, prometheus] = runtimes.spec.ingress;
      const releaseNs = { matchLabels: { 'kubernetes.io/metadata.name': 'paissive' } };
      expect(router.from).to.deep.equal([
        {
          namespaceSelector: releaseNs,
          podSelector: {
            matchLabels: { 'app.kubernetes.io/instance': 'hy' },
            matchExpressions: [
              { key: 'app.kubernetes.io/component', operator: 'In', values: ['router', 'router-worker'] },
            ],
          },
        },
      ]);
      expect(router.ports.map((p: any) => p.port)).to.deep.equal(['grpc', 'http']);
      expect(operator.from[0].podSelector.matchLabels).to.deep.equal({
        'app.kubernetes.io/name': 'paissive',
        'app.kubernetes.io/instance': 'hy',
        'app.kubernetes.io/component': 'operator',
      });
      expect(operator.from[0].namespaceSelector).to.deep.equal(releaseNs);
      expect(operator.ports).to.deep.equal([{ port: 'grpc', protocol: 'TCP' }]);
      expect(prometheus.from).to.deep.equal([
        { namespaceSelector: {}, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } },
      ]);
      expect(prometheus.ports).to.deep.equal([{ port: 'metrics', protocol: 'TCP' }]);
    });

    it('selects the pods the operator creates and allows the ports it names on them', async () => {
      const runtimes = (await policies()).find((p) => p.metadata.name === 'hy-paissive-runtimes');
      const allowed = new Set(runtimes.spec.ingress.flatMap((r: any) => r.ports.map((p: any) => p.port)));
      const config = parseOperatorConfig({});
      for (const runtime of [undefined, { protocol: 'openai' as const, image: 'vllm/vllm-openai:v0.9.0' }]) {
        const version = {
          apiVersion: 'ai.paissive.io/v1alpha1',
          kind: 'ModelVersion',
          metadata: { name: 'm-v1', namespace: 'ns', uid: 'u', generation: 1 },
          spec: { model: 'm', version: 'v1', replicas: 1, artifact: { uri: 'file:///m.onnx' }, runtime },
        } as unknown as ModelVersion;
        // A self-hosted OpenAI-compatible server (HTTP) is an openai model with a runtime image.
        const model = {
          apiVersion: 'ai.paissive.io/v1alpha1',
          kind: 'AIModel',
          metadata: { name: 'm', namespace: 'ns' },
          spec: { provider: runtime ? 'openai' : 'onnx', capabilities: ['text-generation'] },
        } as AIModel;
        const desired = desiredVersion(version, model, config);
        if (desired.kind !== 'serve') throw new Error(desired.message);
        const pod = desired.deployment.spec?.template;
        expect(pod?.metadata?.labels).to.include(runtimes.spec.podSelector.matchLabels);
        const ports = pod?.spec?.containers.flatMap((c) => c.ports ?? []).map((p) => p.name) ?? [];
        expect(ports, runtime?.protocol ?? 'oip-v2').to.not.deep.equal([]);
        for (const port of ports) expect(allowed.has(port), `port ${port} of a runtime pod`).to.equal(true);
      }
    });

    it('covers the router namespace, the watched namespace, or the listed ones; the router takes routerFrom', async () => {
      const namespaces = async (...set: string[]) =>
        (await policies(...set))
          .filter((p) => p.metadata.name === 'hy-paissive-runtimes')
          .map((p) => p.metadata.namespace);
      expect(
        await namespaces('router.watchNamespace=models', 'operator.watchNamespace=models'),
      ).to.deep.equal(['models']);
      expect(await namespaces('operator.watchNamespace=other')).to.deep.equal(['paissive', 'other']);
      expect(await namespaces('networkPolicy.runtimeNamespaces={a,b}')).to.deep.equal(['a', 'b']);

      const router = (await policies()).find((p) => p.metadata.name === 'hy-paissive-router');
      expect(router.spec.podSelector.matchLabels['app.kubernetes.io/component']).to.equal('router');
      expect(router.spec.ingress[0].ports).to.deep.equal([{ port: 'http', protocol: 'TCP' }]);
      expect(router.spec.ingress[0].from[0]).to.deep.equal({ namespaceSelector: {} });
      const narrowed = (
        await policies('networkPolicy.routerFrom[0].namespaceSelector.matchLabels.team=apps')
      ).find((p) => p.metadata.name === 'hy-paissive-router');
      // The helm test pod stays allowed whatever the peers are.
      expect(narrowed.spec.ingress[0].from).to.deep.equal([
        { namespaceSelector: { matchLabels: { team: 'apps' } } },
        {
          podSelector: {
            matchLabels: {
              'app.kubernetes.io/name': 'paissive',
              'app.kubernetes.io/instance': 'hy',
              'app.kubernetes.io/component': 'helm-test',
            },
          },
        },
      ]);
      expect(await policies('networkPolicy.enabled=false')).to.deep.equal([]);
      expect((await policies('router.enabled=false')).map((p) => p.metadata.name)).to.deep.equal([
        'hy-paissive-runtimes',
        'hy-paissive-operator',
      ]);
    });

    it('lets only Prometheus reach the operator and the batch workers, and nothing the helm test pod', async () => {
      const all = await policies('router.redis.url=redis://r:6379', 'router.worker.enabled=true');
      const named = (name: string) => all.find((p) => p.metadata.name === name);
      const prometheus = [
        { namespaceSelector: {}, podSelector: { matchLabels: { 'app.kubernetes.io/name': 'prometheus' } } },
      ];
      for (const [name, component, port] of [
        ['hy-paissive-operator', 'operator', 'metrics'],
        ['hy-paissive-router-worker', 'router-worker', 'http'],
      ] as const) {
        expect(named(name).spec.podSelector.matchLabels['app.kubernetes.io/component'], name).to.equal(
          component,
        );
        expect(named(name).spec.ingress, name).to.deep.equal([
          { from: prometheus, ports: [{ port, protocol: 'TCP' }] },
        ]);
      }
      const test = named('hy-paissive-router-test');
      expect(test.spec.podSelector.matchLabels['app.kubernetes.io/component']).to.equal('helm-test');
      expect(test.spec).to.not.have.property('ingress');
      expect(test.spec.policyTypes).to.deep.equal(['Ingress']);
      expect((await policies()).map((p) => p.metadata.name)).to.not.include('hy-paissive-router-worker');
      expect((await policies('tests.enabled=false')).map((p) => p.metadata.name)).to.not.include(
        'hy-paissive-router-test',
      );
    });
  });

  describe('on the real control plane', () => {
    let ns: string;
    before(async () => {
      ns = await createNamespace(env, 'hygiene');
    });
    after(async () => {
      if (ns) await deleteNamespace(env, ns);
    });

    it('the API server accepts the whole chart: CRDs, NetworkPolicies and the test pod included (server dry-run)', async () => {
      for (const set of [
        [],
        [
          'router.apiKeys.existingSecret=router-keys',
          'router.redis.url=redis://r:6379',
          'router.worker.enabled=true',
        ],
      ]) {
        const { stdout } = await run(helm, [
          'template',
          ns,
          CHART,
          '--namespace',
          ns,
          '--kube-version',
          '1.36.3',
          ...set.flatMap((s) => ['--set', s]),
        ]);
        const out = await kubectl(env, ['apply', '--dry-run=server', '-f', '-'], stdout);
        expect(out).to.include(`networkpolicy.networking.k8s.io/${ns}-paissive-runtimes`);
        expect(out).to.include(`networkpolicy.networking.k8s.io/${ns}-paissive-router`);
        expect(out).to.include(`pod/${ns}-paissive-router-test`);
        expect(out).to.include('customresourcedefinition.apiextensions.k8s.io/modelversions.ai.paissive.io');
      }
    });
  });
});
