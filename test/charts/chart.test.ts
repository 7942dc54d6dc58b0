/**
 * The Helm chart, checked with the real helm and the real API server: it lints, renders objects the API
 * server accepts, and its RBAC is enough for the operator: the operator runs with the chart's service
 * account token and reconciles the examples.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { parseAllDocuments } from 'yaml';
import {
  applyCrds,
  type ClusterEnv,
  clusterEnv,
  createNamespace,
  deleteNamespace,
  getJson,
  kubectl,
  type OperatorProcess,
  ROOT,
  requireCluster,
  startOperator,
} from '../support/cluster.js';
import { eventually } from '../support/eventually.js';

const run = promisify(execFile);
const CHART = join(ROOT, 'charts/paissive');

describe('charts/paissive: the Helm chart', function () {
  this.timeout(120_000);
  let env: ClusterEnv;
  let helm: string;
  let release: string;
  let models: string;
  let dir: string;
  let operator: OperatorProcess | undefined;

  // The release is named after its namespace, so cluster-wide names (ClusterRole...) are unique to this run.
  const template = async (...args: string[]) =>
    (
      await run(helm, [
        'template',
        release,
        CHART,
        '--namespace',
        release,
        '--kube-version',
        '1.36.3',
        ...args,
      ])
    ).stdout;

  before(async function () {
    env = requireCluster(this);
    helm = (clusterEnv() as ClusterEnv & { HELM?: string }).HELM ?? '';
    if (!helm) throw new Error('helm is built with the cluster (make cluster-up); .cluster/env has no HELM');
    await applyCrds(env);
    release = await createNamespace(env, 'chart');
    models = await createNamespace(env, 'chart-models');
    dir = await mkdtemp(join(tmpdir(), 'chart-'));
  });
  after(async () => {
    await operator?.stop();
    for (const ns of [release, models]) if (ns) await deleteNamespace(env, ns);
    if (release) {
      const selector = `app.kubernetes.io/instance=${release}`;
      await kubectl(env, ['delete', 'clusterrole,clusterrolebinding', '-l', selector, '--ignore-not-found']);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('lints', async () => {
    const { stdout } = await run(helm, ['lint', CHART]);
    expect(stdout).to.include('0 chart(s) failed');
  });

  it('renders the operator, its RBAC and settings; watchNamespace narrows the binding to one namespace', async () => {
    const kinds = parseAllDocuments(await template())
      .map((d) => d.toJS()?.kind)
      .filter(Boolean);
    expect(kinds).to.include.members([
      'ServiceAccount',
      'ClusterRole',
      'ClusterRoleBinding',
      'Role',
      'RoleBinding',
      'ConfigMap',
      'Deployment',
      'Service',
      'PodDisruptionBudget',
    ]);
    const scoped = parseAllDocuments(await template('--set', 'operator.watchNamespace=models')).map((d) =>
      d.toJS(),
    );
    expect(scoped.some((o) => o?.kind === 'ClusterRoleBinding')).to.equal(false);
    expect(scoped.find((o) => o?.kind === 'RoleBinding' && o.metadata.namespace === 'models')).to.not.equal(
      undefined,
    );
    const config = scoped.find((o) => o?.kind === 'ConfigMap').data['operator.yaml'];
    expect(config).to.include('runtimeImage: ghcr.io/paissive/paissive:0.1.0').and.include('NVIDIA-L4');
  });

  it('installs: the API server accepts every object, and the operator runs on the chart RBAC alone', async () => {
    await kubectl(env, ['apply', '-f', '-'], await template());
    const account = `${release}-paissive-operator`;
    const token = (await kubectl(env, ['create', 'token', account, '-n', release, '--duration=1h'])).trim();
    const admin = await getJson(env, ['config', 'view', '--raw', '--minify']);
    const cluster = admin.clusters[0].cluster;
    const kubeconfig = join(dir, 'operator.kubeconfig');
    await writeFile(
      kubeconfig,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'c', cluster }],
        users: [{ name: 'operator', user: { token } }],
        contexts: [{ name: 'c', context: { cluster: 'c', user: 'operator' } }],
        'current-context': 'c',
      }),
    );
    await kubectl(env, ['apply', '-n', models, '-f', join(ROOT, 'examples')]);
    // As the chart's Deployment runs it: its service account, every namespace, the lease in the release namespace.
    operator = await startOperator({ ...env, KUBECONFIG: kubeconfig }, '', {
      WATCH_NAMESPACE: '',
      POD_NAMESPACE: release,
    });
    await eventually(
      async () => {
        const items = (await getJson(env, ['get', 'modelversions', '-n', models])).items as any[];
        return items.length === 4 &&
          items.every((v) =>
            v.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'),
          )
          ? true
          : undefined;
      },
      'examples reconciled by the chart-RBAC operator',
      60_000,
    );
    // RBAC refusals name the service account ("User \"system:serviceaccount:...\" cannot ...").
    const forbidden = operator.logs.filter((l) =>
      /system:serviceaccount:[^ ]+ cannot/.test(JSON.stringify(l)),
    );
    expect(forbidden).to.deep.equal([]);
    const lease = await getJson(env, ['get', 'lease', 'paissive-operator', '-n', release]);
    expect(lease.spec.holderIdentity).to.be.a('string').and.not.equal('');
  });
});
