/**
 * The operator's promises under churn, on the real control plane: restarts cause no rollout, a lost watch
 * (the API server crashes and comes back) recovers, and of two replicas only the leader writes.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import {
  applyCrds,
  type ClusterEnv,
  createNamespace,
  deleteNamespace,
  getJson,
  kubectl,
  mergePatch,
  type OperatorProcess,
  ROOT,
  requireCluster,
  startOperator,
} from '../../support/cluster.js';
import { eventually } from '../../support/eventually.js';

const run = promisify(execFile);

describe('operator/kube: restarts, lost watches and leader election', function () {
  this.timeout(180_000);
  let env: ClusterEnv;
  let ns: string;
  const operators: OperatorProcess[] = [];

  const sum = async (op: OperatorProcess, prefix: string) => {
    let n = 0;
    for (const [k, v] of await op.metrics()) if (k.startsWith(prefix)) n += v;
    return n;
  };
  const leader = async (op: OperatorProcess) => (await op.metrics()).get('operator_leader') === 1;
  const allReady = async () => {
    const items = (await getJson(env, ['get', 'modelversions', '-n', ns])).items as any[];
    return (
      items.length > 0 &&
      items.every((v) => v.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'))
    );
  };
  /** Every AIModel's rollup has caught up with its versions (it is written 500 ms after they change). */
  const rolledUp = async () => {
    const items = (await getJson(env, ['get', 'aimodels', '-n', ns])).items as any[];
    return items.length > 0 && items.every((m) => m.status?.readyVersions === m.status?.versions);
  };
  const start = async (extra: Record<string, string> = {}) => {
    const op = await startOperator(env, ns, extra);
    operators.push(op);
    return op;
  };
  const deployments = async () =>
    Object.fromEntries(
      ((await getJson(env, ['get', 'deployments', '-n', ns])).items as any[]).map((d) => [
        d.metadata.name,
        `${d.metadata.uid}@${d.metadata.generation}`,
      ]),
    );
  const replicaSets = async () =>
    ((await getJson(env, ['get', 'replicasets', '-n', ns])).items as any[])
      .map((r) => r.metadata.name)
      .sort();

  before(async function () {
    env = requireCluster(this);
    await applyCrds(env);
    ns = await createNamespace(env, 'resilience');
    await kubectl(env, ['apply', '-n', ns, '-f', join(ROOT, 'examples')]);
  });
  after(async () => {
    for (const op of operators) await op.stop();
    if (ns) await deleteNamespace(env, ns);
  });

  it('restarting the operator causes no rollout and no writes', async () => {
    const first = await start();
    await eventually(async () => ((await allReady()) ? true : undefined), 'all versions Ready', 60_000);
    // Stopping before the rollups are written would leave them to the next operator: writes, rightly.
    await eventually(async () => ((await rolledUp()) ? true : undefined), 'AIModel rollups written');
    const before = { deployments: await deployments(), replicaSets: await replicaSets() };
    expect(await first.stop()).to.equal(0);

    const second = await start();
    await eventually(
      async () => ((await sum(second, 'operator_reconcile_total{')) >= 8 ? true : undefined),
      'a full pass',
    );
    await new Promise((r) => setTimeout(r, 500));
    expect(await second.writes()).to.equal(0);
    expect(await deployments()).to.deep.equal(before.deployments);
    expect(await replicaSets()).to.deep.equal(before.replicaSets);
    await second.stop();
  });

  it('recovers from a lost watch: the API server crashes and restarts, the operator relists and keeps reconciling', async () => {
    const op = await start();
    await eventually(async () => ((await leader(op)) ? true : undefined), 'leadership');
    await run('bash', [join(ROOT, 'hack/cluster/restart.sh'), 'kube-apiserver']);
    await mergePatch(
      env,
      { kind: 'modelversion', name: 'sentiment-v1', namespace: ns },
      { spec: { replicas: 2 } },
    );
    await eventually(
      async () =>
        (await getJson(env, ['get', 'modelversion', 'sentiment-v1', '-n', ns])).status?.ready === '2/2'
          ? true
          : undefined,
      'the change after the restart reconciled',
      60_000,
    );
    expect(await sum(op, 'operator_informer_relists_total{')).to.be.greaterThan(0);
    await op.stop();
  });

  it('with two replicas only the leader writes, and the other takes over when the leader stops', async () => {
    const a = await start();
    const b = await start();
    const [lead, follow] = await eventually(async () => {
      if (await leader(a)) return [a, b];
      if (await leader(b)) return [b, a];
      return undefined;
    }, 'one leader');
    expect(await leader(follow)).to.equal(false);

    await mergePatch(
      env,
      { kind: 'modelversion', name: 'sentence-embedder-v1', namespace: ns },
      { spec: { replicas: 3 } },
    );
    await eventually(
      async () =>
        (await getJson(env, ['get', 'deployment', 'sentence-embedder-v1', '-n', ns])).spec.replicas === 3
          ? true
          : undefined,
      'the leader applied the change',
    );
    expect(await lead.writes()).to.be.greaterThan(0);
    expect(await follow.writes()).to.equal(0);

    expect(await lead.stop()).to.equal(0); // releases the lease on the way out
    const takeover = Date.now();
    await eventually(
      async () => ((await leader(follow)) ? true : undefined),
      'the follower takes over',
      30_000,
    );
    expect(Date.now() - takeover).to.be.lessThan(10_000);
    await mergePatch(
      env,
      { kind: 'modelversion', name: 'sentence-embedder-v1', namespace: ns },
      { spec: { replicas: 1 } },
    );
    await eventually(
      async () =>
        (await getJson(env, ['get', 'deployment', 'sentence-embedder-v1', '-n', ns])).spec.replicas === 1
          ? true
          : undefined,
      'the new leader reconciles',
    );
    expect(await follow.writes()).to.be.greaterThan(0);
  });
});
