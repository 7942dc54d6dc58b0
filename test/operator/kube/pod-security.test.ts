/**
 * Runtime pods in a namespace that enforces Pod Security `restricted`, on the real control plane: the
 * ReplicaSet's pods are admitted (kwok runs them), the PodDisruptionBudget follows the replica count, and
 * spec.podTemplate lands on the pods.
 */
import { expect } from 'chai';
import {
  applyCrds,
  type ClusterEnv,
  createNamespace,
  deleteNamespace,
  getJson,
  kubectl,
  kubectlResult,
  type OperatorProcess,
  requireCluster,
  startOperator,
} from '../../support/cluster.js';
import { eventually } from '../../support/eventually.js';
import { model, version } from './fixtures.js';

describe('operator/kube: runtime pods under Pod Security restricted on a real control plane', function () {
  this.timeout(120_000);
  let env: ClusterEnv;
  let ns: string;
  let operator: OperatorProcess;
  const get = (kind: string, name: string) => getJson(env, ['get', kind, name, '-n', ns]);
  const patchVersion = (patch: unknown) =>
    kubectlResult(env, ['patch', 'mv', 'writer-v1', '-n', ns, '--type=merge', '-p', JSON.stringify(patch)]);
  const pods = async () =>
    (await getJson(env, ['get', 'pods', '-n', ns, '-l', 'ai.paissive.io/modelversion=writer-v1']))
      .items as any[];

  before(async function () {
    env = requireCluster(this);
    await applyCrds(env);
    ns = await createNamespace(env, 'psa');
    await kubectl(env, ['label', 'namespace', ns, 'pod-security.kubernetes.io/enforce=restricted']);
    await kubectl(env, ['create', 'serviceaccount', 'model-reader', '-n', ns]);
    await kubectl(env, ['create', 'secret', 'generic', 'hf', '-n', ns, '--from-literal=token=t']);
    const manifests = [
      model('writer', 'provider: onnx\ncapabilities: [text-generation]'),
      version(
        'writer-v1',
        'writer',
        `
version: v1
replicas: 2
artifact: {uri: "https://models.example.com/writer.tar.gz"}
podTemplate:
  labels: {team: ml}
  annotations: {example.com/owner: ml}
  serviceAccountName: model-reader
  imagePullSecrets: [{name: regcred}]
  tolerations: [{key: dedicated, operator: Equal, value: ml, effect: NoSchedule}]
  env: [{name: HF_TOKEN, valueFrom: {secretKeyRef: {name: hf, key: token}}}]
  envFrom: [{secretRef: {name: hf}, prefix: HF_}]`,
      ),
    ];
    await kubectl(env, ['apply', '-n', ns, '-f', '-'], manifests.join('\n---\n'));
    operator = await startOperator(env, ns);
  });
  after(async () => {
    await operator?.stop();
    if (ns) await deleteNamespace(env, ns);
  });

  it('the namespace does enforce restricted: a pod without a security context is refused', async () => {
    const bare = `{"apiVersion":"v1","kind":"Pod","metadata":{"name":"bare"},"spec":{"containers":[{"name":"c","image":"x"}]}}`;
    const result = await kubectlResult(env, ['apply', '--dry-run=server', '-n', ns, '-f', '-'], bare);
    expect(result.ok).to.equal(false);
    expect(result.output).to.contain('violates PodSecurity "restricted');
  });

  it("the operator's ReplicaSet creates both runtime pods, with no FailedCreate for pod security", async () => {
    const running = await eventually(
      async () => {
        const list = await pods();
        return list.length === 2 ? list : undefined;
      },
      'two runtime pods',
      60_000,
    );
    for (const pod of running) {
      expect(pod.spec.securityContext).to.deep.include({ runAsNonRoot: true, runAsUser: 10001 });
      expect(pod.spec.containers[0].securityContext).to.include({ readOnlyRootFilesystem: true });
    }
    const events = await getJson(env, ['get', 'events', '-n', ns, '--field-selector', 'reason=FailedCreate']);
    expect(events.items.map((e: any) => e.message)).to.deep.equal([]);
  });

  it('spec.podTemplate lands on the pod template, around what the operator sets', async () => {
    const template = (await get('deployment', 'writer-v1')).spec.template;
    expect(template.metadata.labels).to.include({ team: 'ml', 'ai.paissive.io/modelversion': 'writer-v1' });
    expect(template.metadata.annotations).to.include({
      'example.com/owner': 'ml',
      'prometheus.io/scrape': 'true',
    });
    expect(template.spec).to.deep.include({
      serviceAccountName: 'model-reader',
      imagePullSecrets: [{ name: 'regcred' }],
    });
    expect(template.spec.tolerations).to.deep.include({
      key: 'dedicated',
      operator: 'Equal',
      value: 'ml',
      effect: 'NoSchedule',
    });
    expect(template.spec.topologySpreadConstraints[0]).to.include({
      topologyKey: 'kubernetes.io/hostname',
      whenUnsatisfiable: 'ScheduleAnyway',
    });
    const container = template.spec.containers[0];
    expect(container.env).to.deep.include({
      name: 'HF_TOKEN',
      valueFrom: { secretKeyRef: { name: 'hf', key: 'token' } },
    });
    expect(container.envFrom).to.deep.equal([{ secretRef: { name: 'hf' }, prefix: 'HF_' }]);
  });

  it('admission refuses a podTemplate that sets an operator label', async () => {
    const result = await patchVersion({ spec: { podTemplate: { labels: { 'ai.paissive.io/model': 'x' } } } });
    expect(result.ok).to.equal(false);
    expect(result.output).to.contain("podTemplate.labels cannot set the operator's labels");
  });

  it('keeps a PodDisruptionBudget owned by the version at 2 replicas and deletes it at 1', async () => {
    const pdb = await eventually(() => get('pdb', 'writer-v1').catch(() => undefined), 'the PDB', 30_000);
    expect(pdb.spec).to.deep.include({ maxUnavailable: 1 });
    expect(pdb.spec.selector).to.deep.equal({ matchLabels: { 'ai.paissive.io/modelversion': 'writer-v1' } });
    expect(pdb.metadata.ownerReferences[0]).to.include({
      kind: 'ModelVersion',
      name: 'writer-v1',
      controller: true,
    });
    expect((await patchVersion({ spec: { replicas: 1 } })).ok).to.equal(true);
    await eventually(
      async () => ((await kubectlResult(env, ['get', 'pdb', 'writer-v1', '-n', ns])).ok ? undefined : true),
      'the PDB deleted',
      30_000,
    );
  });
});
