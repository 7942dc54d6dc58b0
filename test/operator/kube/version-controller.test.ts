/**
 * The ModelVersion controller when the API server refuses a child for good, on the test control plane: an
 * admission policy denies every Deployment of the namespace (as a Gatekeeper or Kyverno policy would, 403).
 * The failure must show in the version's status, must not loop (a failed pass that rewrites the status with a
 * new lastTransitionTime wakes its own watch and runs again at once, backoff or not), and must clear on the
 * next resync once the policy is gone.
 */
import { join } from 'node:path';
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
  ROOT,
  requireCluster,
  startOperator,
} from '../../support/cluster.js';
import { eventually } from '../../support/eventually.js';

const policy = (name: string, ns: string) => `
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: ${name}}
spec:
  failurePolicy: Fail
  matchConstraints:
    resourceRules:
      - apiGroups: [apps]
        apiVersions: [v1]
        operations: [CREATE, UPDATE]
        resources: [deployments]
  validations:
    - expression: "false"
      message: Deployments are refused in this namespace by the test's policy
      reason: Forbidden
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: ${name}}
spec:
  policyName: ${name}
  validationActions: [Deny]
  matchResources:
    namespaceSelector:
      matchLabels: {kubernetes.io/metadata.name: ${ns}}
`;

const deletePolicy = ['delete', 'validatingadmissionpolicybinding,validatingadmissionpolicy'];

describe('operator/kube: ModelVersionController, a child the API server refuses', function () {
  this.timeout(120_000);
  let env: ClusterEnv;
  let ns: string;
  let name: string;
  let operator: OperatorProcess | undefined;

  /** Requests of one resource and verb so far (any status code). */
  const requests = async (resource: string, verb: string) => {
    let n = 0;
    for (const [k, v] of await (operator as OperatorProcess).metrics())
      if (k.startsWith('operator_kube_requests_total{') && k.includes(`resource="${resource}"`))
        if (k.includes(`verb="${verb}"`)) n += v;
    return n;
  };
  const ready = async () =>
    (await getJson(env, ['get', 'modelversion', 'sentiment-v1', '-n', ns])).status?.conditions?.find(
      (c: any) => c.type === 'Ready',
    );

  before(async function () {
    env = requireCluster(this);
    await applyCrds(env);
    ns = await createNamespace(env, 'mvc');
    name = `deny-deployments-${ns}`;
    await kubectl(env, ['apply', '-f', '-'], policy(name, ns));
    // Policies take effect a moment after they are written: wait until a Deployment is refused.
    await eventually(
      async () => {
        const probe = await kubectlResult(env, [
          ...['create', 'deployment', 'probe', '--image=x', '-n', ns, '--dry-run=server'],
        ]);
        return probe.ok ? undefined : true;
      },
      'the admission policy to refuse Deployments',
      30_000,
    );
    await kubectl(env, ['apply', '-n', ns, '-f', join(ROOT, 'examples/sentiment.yaml')]);
    operator = await startOperator(env, ns, { RESYNC_SECONDS: '10' });
  });
  after(async () => {
    await operator?.stop();
    if (name) await kubectl(env, [...deletePolicy, name, '--ignore-not-found']);
    if (ns) await deleteNamespace(env, ns);
  });

  it('shows the refusal as ApplyFailed, does not loop, and recovers on the resync after the policy goes', async () => {
    const failed = await eventually(
      async () => ((await ready())?.reason === 'ApplyFailed' ? ready() : undefined),
      'Ready False with ApplyFailed',
    );
    expect(failed).to.include({ status: 'False' });
    expect(failed.message).to.match(/\(Forbidden\).*refused in this namespace/);

    // Let the passes the first failure caused (the Service it created, the status it wrote) settle.
    await new Promise((r) => setTimeout(r, 1000));
    const before = {
      statusWrites: await requests('modelversions/status', 'apply'),
      deploymentApplies: await requests('deployments', 'apply'),
    };
    await new Promise((r) => setTimeout(r, 3000));
    const after = {
      statusWrites: await requests('modelversions/status', 'apply'),
      deploymentApplies: await requests('deployments', 'apply'),
    };
    // A resync (every 10 s here) may try once more; a loop would try hundreds of times.
    expect(after.statusWrites - before.statusWrites, 'status writes in 3 s').to.equal(0);
    expect(after.deploymentApplies - before.deploymentApplies, 'Deployment applies in 3 s').to.be.at.most(1);

    // Nothing about the version changes: only the resync brings its key back.
    await kubectl(env, [...deletePolicy, name]);
    const recovered = await eventually(
      async () => {
        const c = await ready();
        return c && c.reason !== 'ApplyFailed' ? c : undefined;
      },
      'the version to leave ApplyFailed after the policy is deleted',
      40_000,
    );
    expect(recovered.reason).to.be.oneOf(['RuntimeReady', 'RuntimeStarting', 'MinimumReplicasUnavailable']);
    const deployment = await getJson(env, ['get', 'deployment', 'sentiment-v1', '-n', ns]);
    expect(deployment.metadata.name).to.equal('sentiment-v1');
  });
});
