/**
 * The metric names a PromQL expression reads (promql.ts), as a table, and Grafana's variables
 * substituted the way the monitoring test evaluates dashboard queries.
 */
import { expect } from 'chai';
import { metricNames, substituteVariables } from './promql.js';

describe('test/monitoring/promql', () => {
  const cases: [string, string[]][] = [
    ['up', ['up']],
    [
      'router_http_requests_total{route="/v1/chat/completions", status=~"5.."}',
      ['router_http_requests_total'],
    ],
    [
      'sum by (namespace, model) (rate(router_fallbacks_total[10m])) / sum by (namespace, model) (rate(router_inference_requests_total[10m])) > 0.1',
      ['router_fallbacks_total', 'router_inference_requests_total'],
    ],
    [
      'histogram_quantile(0.99, sum by (le, model) (rate(router_inference_duration_seconds_bucket{model=~"$model"}[$__rate_interval])))',
      ['router_inference_duration_seconds_bucket'],
    ],
    ['max by (backend) (router_circuits_open) > 0', ['router_circuits_open']],
    ['a_total / on(model) group_left(version) b_info', ['a_total', 'b_info']],
    ['rate(x_total[5m] offset 1h) > bool 1e3', ['x_total']],
    ['{__name__=~"runtime_ready|runtime_queue_depth"}', ['runtime_queue_depth', 'runtime_ready']],
    ['sum without (pod) (increase(c_total[$__range])) and on() vector(1)', ['c_total']],
    [
      'label_replace(up, "dst", "$1", "src", "(.*)") unless absent(x:recorded:rate5m)',
      ['up', 'x:recorded:rate5m'],
    ],
    ['max_over_time(g[1h:5m]) or NaN > Inf', ['g']],
    ['count(count by (version) (nodejs_version_info))', ['nodejs_version_info']],
  ];
  for (const [expr, names] of cases) {
    it(`${expr} reads ${names.join(', ')}`, () => {
      expect(metricNames(expr)).to.deep.equal(names);
    });
  }

  it('substitutes label variables with a match-all regex and intervals with durations', () => {
    expect(
      substituteVariables(
        // biome-ignore lint/suspicious/noTemplateCurlyInString: Grafana's ${var} form, not a template literal
        'rate(a{namespace=~"$namespace", model=~"${model}"}[$__rate_interval]) * $__range_s',
      ),
    ).to.equal('rate(a{namespace=~".*", model=~".*"}[1m]) * 300');
    expect(substituteVariables('a{version=~"$version"}', { version: 'v2' })).to.equal('a{version=~"v2"}');
  });
});
