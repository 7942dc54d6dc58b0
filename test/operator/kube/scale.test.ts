/**
 * The ModelVersion scale subresource on the real control plane: `kubectl scale mv` moves spec.replicas and the
 * operator's Deployment follows; /scale shows the replicas and the pods' selector the operator writes; the
 * controller manager's HPA controller reads and writes a ModelVersion through it.
 */
import { expect } from 'chai';
import {
  applyCrds,
  type ClusterEnv,
  createNamespace,
  deleteNamespace,
  getJson,
  kubectl,
  type OperatorProcess,
  requireCluster,
  startOperator,
} from '../../support/cluster.js';
import { eventually } from '../../support/eventually.js';
import { model, version } from './fixtures.js';

const NAME = 'scaled-v1';
const SELECTOR = `ai.paissive.io/modelversion=${NAME}`;

// An HPA whose minimum is above the current replicas scales up before it needs any metric (the test cluster
// has no metrics API), so it shows the HPA controller writing spec.replicas through /scale.
const hpa = (minReplicas: number) => `
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: ${NAME}}
spec:
  scaleTargetRef: {apiVersion: ai.paissive.io/v1alpha1, kind: ModelVersion, name: ${NAME}}
  minReplicas: ${minReplicas}
  maxReplicas: 5
  metrics:
    - type: Resource
      resource: {name: cpu, target: {type: Utilization, averageUtilization: 80}}
`;

describe('operator/kube: the ModelVersion scale subresource on a real control plane', function () {
  this.timeout(180_000);
  let env: ClusterEnv;
  let ns: string;
  let operator: OperatorProcess;
  before(async function () {
    env = requireCluster(this);
    await applyCrds(env);
    ns = await createNamespace(env, 'scale');
    await kubectl(
      env,
      ['apply', '-n', ns, '-f', '-'],
      model('scaled', 'provider: onnx\ncapabilities: [chat]'),
    );
    await kubectl(
      env,
      ['apply', '-n', ns, '-f', '-'],
      version(
        NAME,
        'scaled',
        'version: v1\nartifact: {uri: "s3://models/scaled.tar.gz"}\nresources: {cpu: 1}',
      ),
    );
    operator = await startOperator(env, ns);
  });
  after(async () => {
    await operator?.stop();
    if (ns) await deleteNamespace(env, ns);
  });

  const mv = () => getJson(env, ['get', 'modelversion', NAME, '-n', ns]);
  const deploymentReplicas = async () =>
    (await getJson(env, ['get', 'deployment', NAME, '-n', ns])).spec.replicas as number;
  const scale = async () =>
    JSON.parse(
      await kubectl(env, [
        'get',
        '--raw',
        `/apis/ai.paissive.io/v1alpha1/namespaces/${ns}/modelversions/${NAME}/scale`,
      ]),
    );
  const until = <T>(what: string, check: () => Promise<T | undefined>) => eventually(check, what, 90_000);

  it('status carries the pods that exist and their selector once the runtime runs', async () => {
    const status = await until('one runtime pod', async () => {
      const s = (await mv()).status;
      return s?.replicas === 1 && s.readyReplicas === 1 ? s : undefined;
    });
    expect(status.selector).to.equal(SELECTOR);
    const pods = await getJson(env, ['get', 'pods', '-n', ns, '-l', status.selector]);
    expect(pods.items).to.have.length(1);
  });

  it('kubectl scale mv sets spec.replicas, the Deployment follows, and /scale reports replicas and selector', async () => {
    await kubectl(env, ['scale', 'mv', NAME, '-n', ns, '--replicas=3']);
    expect((await mv()).spec.replicas).to.equal(3);
    await until('the Deployment at 3', async () => ((await deploymentReplicas()) === 3 ? true : undefined));
    const s = await until('/scale at 3 pods', async () => {
      const body = await scale();
      return body.status?.replicas === 3 ? body : undefined;
    });
    expect(s).to.deep.include({ kind: 'Scale', apiVersion: 'autoscaling/v1' });
    expect(s.spec).to.deep.equal({ replicas: 3 });
    expect(s.status).to.deep.equal({ replicas: 3, selector: SELECTOR });
  });

  it('an autoscaling/v2 HPA aimed at the ModelVersion reads its scale (AbleToScale) and scales it to its minimum', async () => {
    await kubectl(env, ['apply', '-n', ns, '-f', '-'], hpa(4));
    const able = await until('the HPA reads the scale', async () => {
      const h = await getJson(env, ['get', 'hpa', NAME, '-n', ns]);
      return h.status?.conditions?.find((c: { type: string }) => c.type === 'AbleToScale');
    });
    expect(able).to.include({ status: 'True' });
    await until('the HPA sets spec.replicas to its minimum', async () =>
      (await mv()).spec.replicas === 4 ? true : undefined,
    );
    await until('the Deployment at 4', async () => ((await deploymentReplicas()) === 4 ? true : undefined));
    const h = await until('the HPA sees 4 pods', async () => {
      const x = await getJson(env, ['get', 'hpa', NAME, '-n', ns]);
      return x.status?.currentReplicas === 4 ? x : undefined;
    });
    expect(h.status.desiredReplicas).to.equal(4);
  });
});
