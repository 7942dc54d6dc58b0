/**
 * operator_model_version_condition, the gauge the alerts PaissiveModelNoReadyRuntime and
 * PaissiveModelVersionGPUUnavailable read: one sample per version and condition from the cached ModelVersions,
 * read at scrape time so a deleted version or an old reason leaves no series behind.
 */
import { expect } from 'chai';
import type { ModelVersion } from '../../crds/src/index.js';
import { createOperatorMetrics, versionConditionSamples } from '../../operator/src/metrics.js';

const at = '2026-05-01T00:00:00Z';
const mv = (name: string, conditions: [string, 'True' | 'False' | 'Unknown', string][]) =>
  ({
    metadata: { name: `${name}-v1`, namespace: 'models' },
    spec: { model: name, version: 'v1' },
    status: {
      conditions: conditions.map(([type, status, reason]) => ({
        type,
        status,
        reason,
        message: '',
        lastTransitionTime: at,
      })),
    },
  }) as unknown as ModelVersion;

describe('operator metrics: ModelVersion conditions', () => {
  it('gives each condition type of each version 1 when True, 0 otherwise, with its reason', () => {
    const gpu = mv('llm', [
      ['Ready', 'False', 'GPUUnavailable'],
      ['Degraded', 'True', 'GPUUnavailable'],
    ]);
    expect(versionConditionSamples([gpu])).to.deep.equal([
      {
        labels: {
          model_namespace: 'models',
          model: 'llm',
          version: 'v1',
          condition: 'Ready',
          reason: 'GPUUnavailable',
        },
        value: 0,
      },
      {
        labels: {
          model_namespace: 'models',
          model: 'llm',
          version: 'v1',
          condition: 'Progressing',
          reason: 'Unknown',
        },
        value: 0,
      },
      {
        labels: {
          model_namespace: 'models',
          model: 'llm',
          version: 'v1',
          condition: 'Degraded',
          reason: 'GPUUnavailable',
        },
        value: 1,
      },
    ]);
  });

  it('exports what the version cache holds at each scrape, and nothing before one is attached', async () => {
    const metrics = createOperatorMetrics();
    const text = () => metrics.registry.getSingleMetricAsString('operator_model_version_condition');
    expect(await text()).not.to.include('operator_model_version_condition{');
    let versions = [mv('writer', [['Ready', 'True', 'RuntimeReady']])];
    metrics.versions.list = () => versions;
    expect(await text()).to.include(
      'operator_model_version_condition{model_namespace="models",model="writer",version="v1",condition="Ready",reason="RuntimeReady"} 1',
    );
    versions = [mv('writer', [['Ready', 'False', 'CrashLoopBackOff']])];
    const after = await text();
    expect(after).to.include('condition="Ready",reason="CrashLoopBackOff"} 0');
    expect(after).not.to.include('RuntimeReady');
    versions = [];
    expect(await text()).not.to.include('operator_model_version_condition{');
  });

  it('exports both controllers’ reconcile outcomes from the start, at zero', async () => {
    const text = await createOperatorMetrics().registry.getSingleMetricAsString('operator_reconcile_total');
    for (const kind of ['ModelVersion', 'AIModel'])
      for (const outcome of ['success', 'error'])
        expect(text).to.include(`operator_reconcile_total{kind="${kind}",outcome="${outcome}"} 0`);
  });
});
