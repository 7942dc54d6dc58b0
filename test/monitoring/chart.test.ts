/**
 * The chart's monitoring objects, rendered by the real helm built with the cluster: the dashboards as
 * ConfigMaps the Grafana sidecar picks up, and the PrometheusRule wrapping the exact rules file promtool tests.
 */
import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { parse } from 'yaml';
import { CHART, helmBinary, renderChart, run } from '../charts/helm.js';
import { requireCluster } from '../support/cluster.js';
import { RULES_FILE } from './prometheus.js';
import { dashboardFiles, readDashboard } from './queries.js';

describe('charts/paissive: dashboards and alert rules', function () {
  this.timeout(60_000);
  const render = (...set: string[]) => renderChart('mon', 'observability', set);
  const rulesFile = () => parse(readFileSync(RULES_FILE, 'utf8')) as { groups: any[] };
  const ruleOf = (rule: any, name: string) =>
    rule.spec.groups.flatMap((g: any) => g.rules).find((r: any) => r.alert === name);

  before(function () {
    requireCluster(this);
  });

  it('renders one ConfigMap per dashboard, labelled grafana_dashboard="1", holding the JSON file', async () => {
    const maps = (await render()).filter(
      (o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard'),
    );
    expect(maps.map((m) => m.metadata.name).sort()).to.deep.equal([
      'mon-paissive-operator-dashboard',
      'mon-paissive-router-dashboard',
      'mon-paissive-runtimes-dashboard',
    ]);
    for (const map of maps) {
      expect(map.metadata.namespace).to.equal('observability');
      expect(map.metadata.labels).to.include({ grafana_dashboard: '1', 'app.kubernetes.io/instance': 'mon' });
      const [key, json] = Object.entries(map.data as Record<string, string>)[0] as [string, string];
      const file = key.replace(/^paissive-/, '');
      expect(dashboardFiles()).to.include(file);
      expect(JSON.parse(json)).to.deep.equal(readDashboard(file));
    }
  });

  it('takes the label, its value, the namespace, labels and annotations from values; no router dashboard without a router; none when disabled', async () => {
    const maps = (
      await render(
        'metrics.grafanaDashboards.label=dashboards',
        'metrics.grafanaDashboards.labelValue=paissive',
        'metrics.grafanaDashboards.namespace=grafana',
        'metrics.grafanaDashboards.annotations.grafana_folder=AI',
        'metrics.grafanaDashboards.labels.team=ml',
      )
    ).filter((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard'));
    expect(maps).to.have.length(3);
    for (const map of maps) {
      expect(map.metadata.namespace).to.equal('grafana');
      expect(map.metadata.labels).to.include({ dashboards: 'paissive', team: 'ml' });
      expect(map.metadata.labels).not.to.have.property('grafana_dashboard');
      expect(map.metadata.annotations).to.deep.equal({ grafana_folder: 'AI' });
    }
    const withoutRouter = (await render('router.enabled=false')).filter((o) => o.kind === 'ConfigMap');
    expect(withoutRouter.map((o) => o.metadata.name).filter((n) => n.endsWith('-dashboard'))).to.deep.equal([
      'mon-paissive-operator-dashboard',
      'mon-paissive-runtimes-dashboard',
    ]);
    const none = await render('metrics.grafanaDashboards.enabled=false');
    expect(
      none.filter((o) => o.kind === 'ConfigMap' && o.metadata.name.endsWith('-dashboard')),
    ).to.deep.equal([]);
  });

  it('refuses a label value that is not a string, naming the field', async () => {
    const refusal = await run(helmBinary(), [
      'template',
      'mon',
      CHART,
      '--kube-version',
      '1.36.3',
      '--set',
      'metrics.grafanaDashboards.labelValue=1',
    ]).then(
      () => 'succeeded',
      (err: Error & { stderr?: string }) => err.stderr ?? err.message,
    );
    expect(refusal).to.include('labelValue');
  });

  it('renders the PrometheusRule only when enabled, its groups equal to the rules file promtool tests', async () => {
    expect((await render()).some((o) => o.kind === 'PrometheusRule')).to.equal(false);
    const rule = (
      await render(
        'metrics.prometheusRule.enabled=true',
        'metrics.prometheusRule.labels.release=kube-prometheus-stack',
      )
    ).find((o) => o.kind === 'PrometheusRule');
    expect(rule.apiVersion).to.equal('monitoring.coreos.com/v1');
    expect(rule.metadata).to.include({ name: 'mon-paissive', namespace: 'observability' });
    expect(rule.metadata.labels).to.include({ release: 'kube-prometheus-stack' });
    expect(rule.spec.groups).to.deep.equal(rulesFile().groups);
  });

  it('applies thresholds, disabled alerts and additional rule labels, leaving every other rule as the file has it', async () => {
    const rule = (
      await render(
        'metrics.prometheusRule.enabled=true',
        'metrics.prometheusRule.thresholds.PaissiveRouterHighLatencyP99=30',
        'metrics.prometheusRule.thresholds.PaissiveRouterHighErrorRate=0.2',
        'metrics.prometheusRule.disabled={PaissiveRouterBudgetExhausted}',
        'metrics.prometheusRule.additionalRuleLabels.team=ml',
        'metrics.prometheusRule.additionalRuleLabels.severity=page',
      )
    ).find((o) => o.kind === 'PrometheusRule');
    const file = rulesFile();
    const original = (name: string) => ruleOf({ spec: file }, name);
    expect(ruleOf(rule, 'PaissiveRouterHighLatencyP99').expr).to.equal(
      original('PaissiveRouterHighLatencyP99').expr.replace(/> 10\n$/, '> 30\n'),
    );
    expect(ruleOf(rule, 'PaissiveRouterHighErrorRate').expr).to.equal(
      original('PaissiveRouterHighErrorRate').expr.replace(/> 0\.05\n$/, '> 0.2\n'),
    );
    expect(ruleOf(rule, 'PaissiveRouterBudgetExhausted')).to.equal(undefined);
    for (const r of rule.spec.groups.flatMap((g: any) => g.rules)) {
      expect(r.labels, r.alert).to.deep.equal({ ...original(r.alert).labels, team: 'ml' });
      if (!/HighLatencyP99|HighErrorRate/.test(r.alert))
        expect(r.expr, r.alert).to.equal(original(r.alert).expr);
    }
  });
});
