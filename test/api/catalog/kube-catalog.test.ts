import { pino } from 'pino';
import { KubeCatalog } from '../../../api/src/catalog/kube-catalog.js';
import { KubeApi } from '../../../kube/src/api.js';
import { KubeClient } from '../../../kube/src/client.js';
import { Resources } from '../../../kube/src/resources.js';
import {
  applyCrds,
  type ClusterEnv,
  createNamespace,
  deleteNamespace,
  kubectl,
  requireCluster,
} from '../../support/cluster.js';
import { catalogContract } from './catalog.contract.js';

describe('api/catalog: KubeCatalog (the test control plane)', () => {
  let env: ClusterEnv;
  let ns: string;
  let client: KubeClient;
  let api: KubeApi;
  let catalog: KubeCatalog;

  before(async function () {
    this.timeout(60_000);
    env = requireCluster(this);
    await applyCrds(env);
    ns = await createNamespace(env, 'catalog');
    client = KubeClient.load(env.KUBECONFIG);
    api = new KubeApi(client, 'catalog-test');
    catalog = new KubeCatalog({ api, namespace: ns, logger: pino({ level: 'silent' }) });
    await catalog.start();
  });
  after(async () => {
    catalog?.stop();
    client?.close();
    if (ns) await deleteNamespace(env, ns);
  });

  catalogContract('KubeCatalog', () => ({
    catalog,
    async apply(yaml) {
      await kubectl(env, ['apply', '-n', ns, '-f', '-'], yaml);
    },
    async publish(version, status, addresses) {
      await api.applyStatus(Resources.ModelVersion, ns, version, status);
      // The EndpointSlice the endpointslice controller would make for the version's headless Service.
      await api.apply(Resources.EndpointSlice, {
        apiVersion: 'discovery.k8s.io/v1',
        kind: 'EndpointSlice',
        metadata: {
          name: `${version}-test`,
          namespace: ns,
          labels: {
            'ai.paissive.io/modelversion': version,
            'app.kubernetes.io/managed-by': 'paissive-operator',
            'kubernetes.io/service-name': version,
          },
        },
        addressType: 'IPv4',
        ports: [{ name: 'grpc', port: 8001, protocol: 'TCP' }],
        endpoints: addresses.map((a) => ({ addresses: [a.split(':')[0]], conditions: { ready: true } })),
      } as never);
    },
    async delete(kind, name) {
      await kubectl(env, ['delete', kind.toLowerCase(), name, '-n', ns]);
    },
  }));
});
