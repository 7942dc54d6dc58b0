/**
 * The Kubernetes target against the target contract, on the test control plane: real API server, controller
 * manager and scheduler; kwok nodes make the pods Ready (and run no containers).
 */
import { pino } from 'pino';
import type { AIModel, ModelVersion } from '../../../crds/src/index.js';
import { KubeApi, type KubeObject } from '../../../kube/src/api.js';
import { KubeClient, WRITE_VERBS } from '../../../kube/src/client.js';
import { Resources } from '../../../kube/src/resources.js';
import { SharedInformers } from '../../../kube/src/shared-informers.js';
import { operatorInformers } from '../../../operator/src/kube/informers.js';
import { KubeRuntimeTarget } from '../../../operator/src/kube/kube-target.js';
import { parseOperatorConfig } from '../../../operator/src/kube/operator-config.js';
import {
  applyCrds,
  type ClusterEnv,
  createNamespace,
  deleteNamespace,
  getJson,
  kubectl,
  mergePatch,
  requireCluster,
} from '../../support/cluster.js';
import { eventually } from '../../support/eventually.js';
import { type TargetHarness, targetContract } from '../target-contract.js';
import { crashLoop, model as modelYaml, version as versionYaml } from './fixtures.js';

const logger = pino({ level: 'silent' });

describe('operator/kube: KubeRuntimeTarget', function () {
  this.timeout(120_000);
  let env: ClusterEnv;
  let ns: string;
  let client: KubeClient;
  let api: KubeApi;
  let shared: SharedInformers;
  let target: KubeRuntimeTarget;
  let model: AIModel;
  let writes = 0;

  before(async function () {
    env = requireCluster(this);
    await applyCrds(env);
    ns = await createNamespace(env, 'target');
    client = KubeClient.load(env.KUBECONFIG);
    client.observe((verb) => {
      if (WRITE_VERBS.has(verb)) writes += 1;
    });
    api = new KubeApi(client, 'paissive-operator');
    shared = new SharedInformers({ api, namespace: ns, logger });
    const caches = operatorInformers(shared);
    target = new KubeRuntimeTarget({
      api,
      caches,
      config: parseOperatorConfig({}),
      announce: () => undefined,
      logger,
    });
    await shared.start();
    await kubectl(
      env,
      ['apply', '-n', ns, '-f', '-'],
      modelYaml('sentiment', 'provider: onnx\ncapabilities: [text-classification]'),
    );
    model = await api.get<AIModel & KubeObject>(Resources.AIModel, ns, 'sentiment');
  });
  after(async () => {
    shared?.stop();
    client?.close();
    if (ns) await deleteNamespace(env, ns);
  });

  targetContract(
    'Kubernetes (Deployments and Services)',
    (): TargetHarness => ({
      target,
      get model() {
        return model;
      },
      async version(name, o) {
        const uri = o.artifactUri ?? 'https://models.example/sentiment-v1.tgz';
        await kubectl(
          env,
          ['apply', '-n', ns, '-f', '-'],
          versionYaml(
            name,
            'sentiment',
            `version: ${name}\nreplicas: ${o.replicas}\nartifact: {uri: "${uri}"}`,
          ),
        );
        return api.get<ModelVersion & KubeObject>(Resources.ModelVersion, ns, name);
      },
      async running(version) {
        return (await podsOf(version)).length;
      },
      async fingerprint() {
        return String(writes);
      },
      async artifactMissing(version) {
        const pods = await eventually(async () => {
          const names = await podsOf(version);
          return names.length ? names : undefined;
        }, `a pod of ${version.metadata.name}`);
        for (const pod of pods) {
          await mergePatch(
            env,
            { kind: 'pod', name: pod, namespace: ns, subresource: 'status' },
            crashLoop(
              5,
              `ArtifactUnavailable: artifact directory for ${version.metadata.name} does not exist`,
            ),
          );
        }
      },
    }),
  );

  /** The version's pods that are not terminating. */
  async function podsOf(version: ModelVersion): Promise<string[]> {
    const label = `ai.paissive.io/modelversion=${version.metadata.name}`;
    const pods = await getJson(env, ['get', 'pods', '-n', ns, '-l', label]);
    return (pods.items as any[]).filter((p) => !p.metadata.deletionTimestamp).map((p) => p.metadata.name);
  }
});
