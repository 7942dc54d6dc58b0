/**
 * The chart's dashboards and alerts against a real Prometheus scraping a real router and its runtimes (local
 * mode): every panel query, variable query and alert expression names series Prometheus holds and evaluates
 * without error; the alert expressions select the trouble the traffic made; and the scraped names are clean
 * (no doubled prefix, every runtime series labelled with its model and version). Operator series need the
 * control plane: operator-prometheus.test.ts.
 */
import { expect } from 'chai';
import { eventually } from '../support/eventually.js';
import { NAMESPACE, type Prometheus, prometheusBinary, startPrometheus } from './prometheus.js';
import {
  alertExpressions,
  alertRules,
  dashboardExpressions,
  type Expression,
  failedQueries,
  missingNames,
} from './queries.js';
import {
  drive,
  driveTrouble,
  exhaustRateLimit,
  type MonitoredRouter,
  startMonitoredRouter,
} from './traffic.js';

describe('monitoring: router and runtime dashboards and alerts on a real Prometheus', function () {
  this.timeout(150_000);
  let router: MonitoredRouter | undefined;
  let prometheus: Prometheus | undefined;
  const expressions: Expression[] = [
    ...dashboardExpressions('router.json'),
    ...dashboardExpressions('runtimes.json'),
    ...alertExpressions('paissive-router'),
    ...alertExpressions('paissive-runtime'),
  ];
  const alert = (name: string) => alertRules().find((r) => r.alert === name)?.expr as string;

  before(async function () {
    if (!prometheusBinary()) {
      if (process.env.CLUSTER_REQUIRED)
        throw new Error('prometheus is not installed: run `make monitoring-tools`');
      this.skip();
    }
    router = await startMonitoredRouter();
    const url = router.url;
    await eventually(
      async () => ((await fetch(`${url}/readyz`)).ok ? true : undefined),
      'router ready',
      90_000,
    );
    const runtimes = router.runtimeTargets();
    expect(runtimes).to.have.length(3);
    prometheus = await startPrometheus([
      { job: 'paissive-router', targets: [new URL(url).host] },
      { job: 'paissive-runtime', targets: runtimes },
    ]);
    const prom = prometheus;
    const scraped = (name: string) => async () => ((await prom.names()).has(name) ? true : undefined);
    await eventually(scraped('runtime_ready'), 'a first scrape', 20_000);
    await drive(url);
    // Counters are born at their first increment: a second round after a scrape gives rate() two samples.
    await eventually(scraped('router_budget_refused_total'), 'a scrape after the traffic', 20_000);
    await driveTrouble(url);
    await exhaustRateLimit(url);
    await eventually(scraped('router_rate_limited_total'), 'a scrape after the refusals', 20_000);
  });

  after(async () => {
    await prometheus?.stop();
    await router?.close();
  });

  it('every dashboard and alert expression names series Prometheus holds', async () => {
    const names = await (prometheus as Prometheus).names();
    expect(missingNames(expressions, names)).to.deep.equal([]);
    // The test reads what the dashboards ship: all three exist, with panels.
    expect(expressions.filter((e) => e.where.startsWith('router.json')).length).to.be.above(30);
    expect(expressions.filter((e) => e.where.startsWith('runtimes.json')).length).to.be.above(20);
  });

  it('every dashboard and alert expression evaluates without error', async () => {
    expect(await failedQueries(prometheus as Prometheus, expressions)).to.deep.equal([]);
  });

  it('loads the rules file and evaluates every rule healthily', async () => {
    const rules = await eventually(async () => {
      const all = await (prometheus as Prometheus).rules();
      return all.every((r) => r.health !== 'unknown') ? all : undefined;
    }, 'a rule evaluation');
    expect(rules.map((r) => r.name).sort()).to.deep.equal(
      alertRules()
        .map((r) => r.alert)
        .sort(),
    );
    expect(rules.filter((r) => r.health !== 'ok')).to.deep.equal([]);
  });

  it('the alert expressions select the trouble the traffic made', async () => {
    const prom = prometheus as Prometheus;
    const labels = async (name: string) =>
      eventually(async () => {
        const result = await prom.query(alert(name));
        return result.length ? result.map((r) => r.metric) : undefined;
      }, `${name} to select a series`);
    expect(await labels('PaissiveRouterCircuitOpen')).to.deep.equal([
      { namespace: NAMESPACE, backend: 'openai' },
    ]);
    expect(await labels('PaissiveRouterHighFallbackRate')).to.deep.equal([
      { namespace: NAMESPACE, model: 'broken-upstream' },
    ]);
    expect(await labels('PaissiveRouterBudgetExhausted')).to.deep.equal([
      { namespace: NAMESPACE, caller: '*', budget: 'tokens' },
    ]);
    // Nothing failed for good and nothing queued: those stay quiet.
    for (const quiet of [
      'PaissiveRouterHighErrorRate',
      'PaissiveRuntimeQueueRejecting',
      'PaissiveRuntimeQueueSaturated',
    ])
      expect(await prom.query(alert(quiet)), quiet).to.deep.equal([]);
  });

  it('scraped names are clean: no doubled prefix, every runtime series labelled with model and version', async () => {
    const prom = prometheus as Prometheus;
    const names = [...(await prom.names())];
    expect(
      names.filter((n) => /^(router|runtime|operator)_(router|runtime|operator|process|nodejs)_/.test(n)),
    ).to.deep.equal([]);
    expect(names).to.include.members(['process_cpu_seconds_total', 'nodejs_eventloop_lag_seconds']);
    // The histograms the OpenTelemetry GenAI mapping (docs/monitoring.md) relies on.
    expect(names).to.include.members([
      'runtime_time_to_first_token_seconds_bucket',
      'runtime_time_per_output_token_seconds_bucket',
      'runtime_queue_wait_seconds_bucket',
      'router_inference_duration_seconds_bucket',
      'router_time_to_first_token_seconds_bucket',
    ]);
    // Prometheus's own per-target series (up, scrape_*) carry none; nodejs_version_info keeps Node's version.
    const runtime = (empty: string) =>
      `count by (__name__) ({job="paissive-runtime", __name__!~"up|scrape_.+|nodejs_version_info", ${empty}=""})`;
    const unlabelled = await prom.query(`${runtime('model')} or ${runtime('version')}`);
    expect(unlabelled.map((r) => r.metric.__name__)).to.deep.equal([]);
    const versions = await prom.query('count by (model, version) (runtime_ready)');
    expect(versions.map((r) => `${r.metric.model} ${r.metric.version}`).sort()).to.deep.equal([
      'sentiment v1',
      'story-writer v1',
      'story-writer v2',
    ]);
  });
});
