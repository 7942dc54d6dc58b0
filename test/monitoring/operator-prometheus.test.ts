/**
 * The operator dashboard and the operator alerts against a real Prometheus scraping a real operator that
 * reconciles the examples on the test control plane: every query names series Prometheus holds and
 * evaluates, and a GPU version whose runtime exits GPUUnavailable (kwok runs no containers: the kubelet's
 * report is written in) is what PaissiveModelVersionGPUUnavailable selects.
 */
import { expect } from 'chai';
import { examplesNamespace } from '../operator/kube/examples-namespace.js';
import { crashLoop } from '../operator/kube/fixtures.js';
import { eventually } from '../support/eventually.js';
import { type Prometheus, prometheusBinary, startPrometheus } from './prometheus.js';
import {
  alertExpressions,
  alertRules,
  dashboardExpressions,
  failedQueries,
  missingNames,
} from './queries.js';

const GPU_MESSAGE =
  'GPUUnavailable: EXECUTION_PROVIDER=cuda but the CUDA execution provider is not installed; refusing to run on the CPU';

describe('monitoring: operator dashboard and alerts on a real Prometheus (control plane)', function () {
  this.timeout(150_000);
  const space = examplesNamespace('mon-op');
  let prometheus: Prometheus | undefined;
  const expressions = [...dashboardExpressions('operator.json'), ...alertExpressions('paissive-operator')];

  before(async () => {
    if (!prometheusBinary()) throw new Error('prometheus is not installed: run `make monitoring-tools`');
    prometheus = await startPrometheus([
      { job: 'paissive-operator', targets: [`127.0.0.1:${space.operator.port}`] },
    ]);
    // story-writer-v2 holds an nvidia-l4 per replica: its runtimes exit 6, as on a node without CUDA.
    const pods = await space.until('story-writer-v2 pods', async () => {
      const found = await space.podsOf('story-writer-v2');
      return found.length === 2 ? found : undefined;
    });
    for (const p of pods) await space.patchPodStatus(p.metadata.name, crashLoop(6, GPU_MESSAGE));
    await space.until('GPUUnavailable', async () =>
      (await space.reasonOf('story-writer-v2')) === 'GPUUnavailable' ? true : undefined,
    );
    const prom = prometheus;
    await eventually(
      async () =>
        (await prom.query('operator_model_version_condition{reason="GPUUnavailable"}')).length
          ? true
          : undefined,
      'operator_model_version_condition in Prometheus (the operator attaches its ModelVersion cache to metrics.versions)',
      30_000,
    );
  });

  after(async () => {
    await prometheus?.stop();
  });

  it('every operator dashboard query and operator alert expression names series Prometheus holds', async () => {
    const names = await (prometheus as Prometheus).names();
    expect(missingNames(expressions, names)).to.deep.equal([]);
    expect(expressions.length).to.be.above(12);
  });

  it('every one of them evaluates without error', async () => {
    expect(await failedQueries(prometheus as Prometheus, expressions)).to.deep.equal([]);
  });

  it('PaissiveModelVersionGPUUnavailable selects the GPU version, and only it', async () => {
    const expr = alertRules().find((r) => r.alert === 'PaissiveModelVersionGPUUnavailable')?.expr as string;
    const result = await (prometheus as Prometheus).query(expr);
    expect(result.map((r) => r.metric)).to.deep.equal([
      { model_namespace: space.ns, model: 'story-writer', version: 'v2' },
    ]);
  });
});
