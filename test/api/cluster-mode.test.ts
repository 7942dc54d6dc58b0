/**
 * The router in cluster mode (CATALOG=kubernetes) as a process against the test control plane: the
 * catalog from AIModel/ModelVersion status written by the operator, API keys from Secrets (rotation
 * included), and a fallback from a runtime that cannot be reached (kwok pods run no containers) to an
 * OpenAI-compatible upstream.
 */
import { expect } from 'chai';
import {
  applyCrds,
  type ClusterEnv,
  createNamespace,
  deleteNamespace,
  kubectl,
  type OperatorProcess,
  type RouterProcess,
  requireCluster,
  startOperator,
  startRouter,
} from '../support/cluster.js';
import { eventually } from '../support/eventually.js';
import { type FakeOpenAI, startFakeOpenAI } from './support/fake-openai.js';

describe('api: the router in cluster mode', function () {
  this.timeout(90_000);
  let env: ClusterEnv;
  let ns: string;
  let upstream: FakeOpenAI;
  let operator: OperatorProcess;
  let router: RouterProcess;
  let url: string;

  const secret = (key: string) => `apiVersion: v1
kind: Secret
metadata: {name: upstream-key}
stringData: {token: ${key}}`;

  const post = async (body: unknown) => {
    const res = await fetch(`${url}/api/inference/text`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as any };
  };

  before(async function () {
    env = requireCluster(this);
    await applyCrds(env);
    ns = await createNamespace(env, 'router');
    upstream = await startFakeOpenAI();
    await kubectl(
      env,
      ['apply', '-n', ns, '-f', '-'],
      [
        secret('sk-first'),
        `apiVersion: ai.paissive.io/v1alpha1
kind: AIModel
metadata: {name: remote}
spec:
  provider: openai
  capabilities: [chat, text-generation]
  endpoint: {baseURL: "${upstream.baseURL}", model: upstream-model, apiKeySecretRef: {name: upstream-key, key: token}}`,
        `apiVersion: ai.paissive.io/v1alpha1
kind: AIModel
metadata: {name: onprem}
spec: {provider: onnx, capabilities: [text-generation], fallbacks: [remote]}`,
        `apiVersion: ai.paissive.io/v1alpha1
kind: ModelVersion
metadata: {name: onprem-v1}
spec: {model: onprem, version: v1, default: true, artifact: {uri: "s3://models/onprem.tar.gz"}}`,
      ].join('\n---\n'),
    );
    operator = await startOperator(env, ns);
    router = await startRouter(env, ns, { ATTEMPT_TIMEOUT_MS: '300', RETRY_ATTEMPTS: '1' });
    url = router.url;
  });
  after(async () => {
    await router?.stop();
    await operator?.stop();
    await upstream?.close();
    if (ns) await deleteNamespace(env, ns);
  });

  it('is ready once the catalog is loaded, and lists the namespace models with the status the operator wrote', async () => {
    expect((await fetch(`${url}/readyz`)).status).to.equal(200);
    const models = await eventually(
      async () => {
        const body = (await (await fetch(`${url}/api/models`)).json()) as any;
        const onprem = body.models.find((m: any) => m.id === 'onprem');
        return onprem?.ready && body.models.find((m: any) => m.id === 'remote')?.ready ? body : undefined;
      },
      'both models ready',
      60_000,
    );
    expect(models.models.map((m: any) => m.id).sort()).to.deep.equal(['onprem', 'remote']);
  });

  it('calls an OpenAI-compatible upstream with the key from the Secret, and follows a rotation', async () => {
    const first = await post({ model_id: 'remote', input: 'hello' });
    expect(first.status).to.equal(200);
    expect(upstream.requests.at(-1)?.headers.authorization).to.equal('Bearer sk-first');
    await kubectl(env, ['apply', '-n', ns, '-f', '-'], secret('sk-second'));
    // A catalog change makes the router read the Secrets again (they are also re-read every minute).
    await kubectl(env, ['annotate', '-n', ns, 'aimodel', 'remote', `rotated=${Date.now()}`, '--overwrite']);
    await eventually(async () => {
      await post({ model_id: 'remote', input: 'again' });
      return upstream.requests.at(-1)?.headers.authorization === 'Bearer sk-second' ? true : undefined;
    }, 'the rotated key in use');
  });

  it('falls back from a runtime it cannot reach to the upstream model', async () => {
    const res = await post({ model_id: 'onprem', input: 'hello' });
    expect(res.status).to.equal(200);
    expect(res.body).to.include({ model_id: 'remote', requested_model_id: 'onprem', fallback_used: true });
    expect(res.body.attempts[0]).to.include({ model: 'onprem', version: 'v1', outcome: 'failed' });
  });
});
