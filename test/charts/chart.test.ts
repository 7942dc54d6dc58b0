/**
 * The Helm chart, checked with the real helm and the real API server: it lints, renders objects the API
 * server accepts, and its RBAC is enough: the operator and the router run with the chart's service
 * account tokens, the operator reconciles the examples and the router serves them.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
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
  type RouterProcess,
  requireCluster,
  serviceAccountKubeconfig,
  startOperator,
  startRouter,
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
  let router: RouterProcess | undefined;

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
    await router?.stop();
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
    const config = scoped.find((o) => o?.kind === 'ConfigMap' && o.data?.['operator.yaml']).data[
      'operator.yaml'
    ];
    expect(config).to.include('runtimeImage: ghcr.io/paissive/paissive:0.1.0').and.include('NVIDIA-L4');
  });

  it('renders the router: Deployment, Service, RBAC in its namespace, Redis from a Secret, HPA and PDB', async () => {
    const objects = parseAllDocuments(
      await template(
        '--set',
        'router.watchNamespace=models',
        '--set',
        'router.redis.existingSecret=redis',
        '--set',
        'router.autoscaling.enabled=true',
        '--set',
        'router.env.CACHE_TTL_SECONDS=60',
      ),
    ).map((d) => d.toJS());
    const named = (kind: string) =>
      objects.find((o) => o?.kind === kind && o.metadata.name === `${release}-paissive-router`);
    const container = named('Deployment').spec.template.spec.containers[0];
    const env = Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? e.valueFrom]));
    expect(env).to.deep.include({
      CATALOG: 'kubernetes',
      HOST: '0.0.0.0',
      WATCH_NAMESPACE: 'models',
      CACHE_TTL_SECONDS: '60',
      REDIS_URL: { secretKeyRef: { name: 'redis', key: 'url' } },
    });
    // The HPA owns the replica count.
    expect(named('Deployment').spec.replicas).to.equal(undefined);
    expect(named('HorizontalPodAutoscaler').spec).to.include({ minReplicas: 2, maxReplicas: 10 });
    expect(named('Role').metadata.namespace).to.equal('models');
    // Read-only, and Secrets one by one (no list: the router never sees keys it was not pointed at).
    const rules = named('Role').rules as { resources: string[]; verbs: string[] }[];
    expect(rules.flatMap((r) => r.verbs).filter((v) => !['get', 'list', 'watch'].includes(v))).to.deep.equal(
      [],
    );
    expect(rules.find((r) => r.resources.includes('secrets'))?.verbs).to.deep.equal(['get']);
    expect(named('PodDisruptionBudget')).to.not.equal(undefined);
    expect(named('Service').spec.ports[0]).to.include({ port: 80, targetPort: 'http' });
    const off = parseAllDocuments(await template('--set', 'router.enabled=false')).map((d) => d.toJS());
    expect(off.some((o) => o?.metadata?.name?.endsWith('-router'))).to.equal(false);
    // Open API unless a Secret of router API keys is named; then it is mounted read-only as the keys file.
    expect(env.ROUTER_API_KEYS_FILE).to.equal(undefined);
    expect(container.volumeMounts).to.equal(undefined);
    const keyed = parseAllDocuments(await template('--set', 'router.apiKeys.existingSecret=router-keys'))
      .map((d) => d.toJS())
      .find((o) => o?.kind === 'Deployment' && o.metadata.name === `${release}-paissive-router`).spec
      .template.spec;
    const keyedEnv = keyed.containers[0].env.find((e: any) => e.name === 'ROUTER_API_KEYS_FILE');
    expect(keyedEnv.value).to.equal('/etc/paissive/api-keys/keys');
    expect(keyed.containers[0].volumeMounts).to.deep.equal([
      { name: 'api-keys', mountPath: '/etc/paissive/api-keys', readOnly: true },
    ]);
    expect(keyed.volumes).to.deep.equal([{ name: 'api-keys', secret: { secretName: 'router-keys' } }]);
    // Without a worker Deployment every router replica runs batch items too.
    expect(env.ROUTER_MODE).to.equal('all');
    expect(objects.some((o) => o?.metadata?.name === `${release}-paissive-router-worker`)).to.equal(false);
  });

  it('renders batch workers apart when asked: ROUTER_MODE=worker beside a router in api mode, same Redis', async () => {
    const objects = parseAllDocuments(
      await template(
        '--set',
        'router.redis.existingSecret=redis',
        '--set',
        'router.env.REQUEST_TIMEOUT_MS=20000',
        '--set',
        'router.worker.enabled=true',
        '--set',
        'router.worker.replicas=3',
        '--set',
        'router.worker.env.BATCH_CONCURRENCY=8',
        '--set',
        'router.worker.resources.requests.cpu=500m',
        '--set',
        'metrics.serviceMonitor.enabled=true',
      ),
    ).map((d) => d.toJS());
    const named = (kind: string, name: string) =>
      objects.find((o) => o?.kind === kind && o.metadata.name === `${release}-paissive-${name}`);
    const envOf = (deployment: any) =>
      Object.fromEntries(
        deployment.spec.template.spec.containers[0].env.map((e: any) => [e.name, e.value ?? e.valueFrom]),
      );
    const worker = named('Deployment', 'router-worker');
    const router = named('Deployment', 'router');
    const shared = {
      CATALOG: 'kubernetes',
      REDIS_KEY_PREFIX: 'paissive:',
      REDIS_URL: { secretKeyRef: { name: 'redis', key: 'url' } },
      REQUEST_TIMEOUT_MS: '20000',
    };
    expect(envOf(worker)).to.deep.include({ ...shared, ROUTER_MODE: 'worker', BATCH_CONCURRENCY: '8' });
    expect(envOf(router)).to.deep.include({ ...shared, ROUTER_MODE: 'api' });
    expect(envOf(router)).to.not.have.property('BATCH_CONCURRENCY');
    const names = (d: any) => d.spec.template.spec.containers[0].env.map((e: any) => e.name);
    expect(new Set(names(worker)).size, 'no variable twice').to.equal(names(worker).length);
    expect(worker.spec.replicas).to.equal(3);
    expect(worker.spec.template.spec.containers[0].image).to.equal(
      router.spec.template.spec.containers[0].image,
    );
    expect(worker.spec.template.spec.containers[0].resources.requests.cpu).to.equal('500m');
    expect(worker.spec.template.spec.serviceAccountName).to.equal(`${release}-paissive-router`);
    // Its own pods: the router's Service and PDB select none of them.
    expect(worker.spec.selector.matchLabels['app.kubernetes.io/component']).to.equal('router-worker');
    expect(named('Service', 'router').spec.selector['app.kubernetes.io/component']).to.equal('router');
    expect(named('PodDisruptionBudget', 'router-worker')).to.not.equal(undefined);
    expect(named('ServiceMonitor', 'router-worker').spec.selector.matchLabels).to.include({
      'app.kubernetes.io/component': 'router-worker',
    });

    const scaled = parseAllDocuments(
      await template(
        '--set',
        'router.redis.url=redis://redis:6379',
        '--set',
        'router.worker.enabled=true',
        '--set',
        'router.worker.autoscaling.enabled=true',
      ),
    ).map((d) => d.toJS());
    const hpa = scaled.find(
      (o) => o?.kind === 'HorizontalPodAutoscaler' && o.metadata.name === `${release}-paissive-router-worker`,
    );
    expect(hpa.spec.scaleTargetRef.name).to.equal(`${release}-paissive-router-worker`);
    const scaledWorker = scaled.find(
      (o) => o?.kind === 'Deployment' && o.metadata.name === `${release}-paissive-router-worker`,
    );
    expect(scaledWorker.spec.replicas, 'the HPA owns the count').to.equal(undefined);

    // The queue lives in Redis: workers without it are refused at render time, with the values to set.
    const refused = await template('--set', 'router.worker.enabled=true').then(
      () => '',
      (err: Error & { stderr?: string }) => err.stderr ?? err.message,
    );
    expect(refused).to.include('router.worker.enabled needs Redis');
  });

  it('installs: the API server accepts every object; the operator and the router run on the chart RBAC alone', async () => {
    await kubectl(env, ['apply', '-f', '-'], await template('--set', `router.watchNamespace=${models}`));
    // The variants too (HPA, Secret-sourced Redis URL, batch workers), checked by the API server without
    // being created.
    await kubectl(
      env,
      ['apply', '--dry-run=server', '-f', '-'],
      await template(
        '--set',
        'router.autoscaling.enabled=true',
        '--set',
        'router.redis.existingSecret=redis',
        '--set',
        'router.worker.enabled=true',
        '--set',
        'router.worker.autoscaling.enabled=true',
        '--set',
        'metrics.serviceMonitor.enabled=false',
      ),
    );
    await kubectl(env, ['apply', '-n', models, '-f', join(ROOT, 'examples')]);
    // As the chart's Deployment runs it: its service account, every namespace, the lease in the release namespace.
    const operatorConfig = await serviceAccountKubeconfig(
      env,
      release,
      `${release}-paissive-operator`,
      join(dir, 'operator.kubeconfig'),
    );
    operator = await startOperator({ ...env, KUBECONFIG: operatorConfig }, '', {
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
    const lease = await getJson(env, ['get', 'lease', 'paissive-operator', '-n', release]);
    expect(lease.spec.holderIdentity).to.be.a('string').and.not.equal('');

    // The router, as its Deployment runs it: its service account, the models namespace.
    const routerConfig = await serviceAccountKubeconfig(
      env,
      release,
      `${release}-paissive-router`,
      join(dir, 'router.kubeconfig'),
    );
    router = await startRouter({ ...env, KUBECONFIG: routerConfig }, models);
    expect((await fetch(`${router.url}/readyz`)).status).to.equal(200);
    // The onnx examples are ready (their runtimes are kwok pods); the openai example names only an env var
    // for its key, which the router's pod does not set, and says so.
    const listed = await eventually(async () => {
      const body = (await (await fetch(`${router!.url}/api/models`)).json()) as any;
      const onnx = body.models?.filter((m: any) => m.provider === 'onnx') ?? [];
      return onnx.length === 3 && onnx.every((m: any) => m.ready) ? body : undefined;
    }, 'the router lists the ready example models');
    expect(listed.models.find((m: any) => m.id === 'gpt-4o-mini')).to.include({
      ready: false,
      reason: 'CredentialsMissing',
    });

    // RBAC refusals name the service account ("User \"system:serviceaccount:...\" cannot ...").
    const forbidden = [...operator.logs, ...router.logs].filter((l) =>
      /system:serviceaccount:[^ ]+ cannot/.test(JSON.stringify(l)),
    );
    expect(forbidden.map((l) => JSON.stringify(l).slice(0, 300))).to.deep.equal([]);
  });
});
