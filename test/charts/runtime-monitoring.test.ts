/**
 * What the chart adds for the runtimes the operator creates: a PodMonitor for their `metrics` port (with the
 * Prometheus Operator) and the RBAC for the model cache claims. Rendered by the real helm built with the cluster.
 */
import { expect } from 'chai';
import { requireCluster } from '../support/cluster.js';
import { renderChart } from './helm.js';

describe('charts/paissive: runtime metrics and cache claims', () => {
  const render = (...set: string[]) => renderChart('rt', undefined, set);

  before(function () {
    requireCluster(this);
  });

  it('renders no PodMonitor unless metrics.serviceMonitor is enabled', async () => {
    expect((await render()).some((o) => o.kind === 'PodMonitor')).to.equal(false);
  });

  it("selects the operator's runtime pods by their metrics port, in every namespace or the watched one", async () => {
    const monitor = (await render('metrics.serviceMonitor.enabled=true')).find(
      (o) => o.kind === 'PodMonitor',
    );
    expect(monitor.spec.selector.matchLabels).to.deep.equal({
      'app.kubernetes.io/managed-by': 'paissive-operator',
      'app.kubernetes.io/component': 'runtime',
    });
    expect(monitor.spec.podMetricsEndpoints).to.deep.equal([
      { port: 'metrics', path: '/metrics', interval: '30s' },
    ]);
    expect(monitor.spec.namespaceSelector).to.deep.equal({ any: true });
    const scoped = (
      await render('metrics.serviceMonitor.enabled=true', 'operator.watchNamespace=models')
    ).find((o) => o.kind === 'PodMonitor');
    expect(scoped.spec.namespaceSelector).to.deep.equal({ matchNames: ['models'] });
  });

  it('lets the operator create and delete the model cache claims it owns', async () => {
    const role = (await render()).find(
      (o) => o.kind === 'ClusterRole' && o.metadata.name === 'rt-paissive-operator',
    );
    const rule = role.rules.find((r: { resources: string[] }) =>
      r.resources.includes('persistentvolumeclaims'),
    );
    expect(rule.verbs).to.include.members(['get', 'list', 'watch', 'create', 'patch', 'delete']);
  });
});
