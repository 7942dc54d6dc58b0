import { KubeConfig } from '@kubernetes/client-node';
import { expect } from 'chai';
import { pino } from 'pino';
import { KubeApi, type KubeObject } from '../../kube/src/api.js';
import { KubeClient, type Verb } from '../../kube/src/client.js';
import type { InformerEvent } from '../../kube/src/informer.js';
import { Resources } from '../../kube/src/resources.js';
import { SharedInformers } from '../../kube/src/shared-informers.js';
import {
  type ClusterEnv,
  createNamespace,
  deleteNamespace,
  kubectl,
  requireCluster,
} from '../support/cluster.js';

const logger = pino({ level: 'silent' });
const SELECTOR = 'app.kubernetes.io/managed-by=shared-test';

describe('kube: SharedInformers', () => {
  // No request is made before start(): an unreachable server is enough for these.
  const offline = () => {
    const config = new KubeConfig();
    config.loadFromOptions({
      clusters: [{ name: 'none', server: 'http://127.0.0.1:9' }],
      users: [{ name: 'none' }],
      contexts: [{ name: 'none', cluster: 'none', user: 'none' }],
      currentContext: 'none',
    });
    return new KubeApi(new KubeClient(config), 'test');
  };

  it('gives every caller of a type the same informer', () => {
    const shared = new SharedInformers({ api: offline(), logger });
    const a = shared.informer(Resources.Service, SELECTOR);
    const b = shared.informer(Resources.Service, SELECTOR);
    const pods = shared.informer(Resources.Pod, SELECTOR);
    expect(a).to.equal(b);
    expect(pods).to.not.equal(a);
    expect(shared.watched).to.deep.equal(['v1/services', 'v1/pods']);
  });

  it('refuses the same type with another selector (it would be a second watch)', () => {
    const shared = new SharedInformers({ api: offline(), logger });
    shared.informer(Resources.Service, SELECTOR);
    expect(() => shared.informer(Resources.Service)).to.throw(/Service is already watched with selector/);
  });

  describe('on the test control plane', function () {
    this.timeout(60_000);
    let env: ClusterEnv;
    let ns: string;
    let client: KubeClient;
    let shared: SharedInformers;
    const requests: [Verb, string][] = [];

    before(async function () {
      env = requireCluster(this);
      ns = await createNamespace(env, 'shared-informers');
      client = KubeClient.load(env.KUBECONFIG);
      client.observe((verb, resource) => requests.push([verb, resource]));
      shared = new SharedInformers({ api: new KubeApi(client, 'test'), namespace: ns, logger });
    });
    after(async () => {
      shared?.stop();
      client?.close();
      if (ns) await deleteNamespace(env, ns);
    });

    it('lists and watches a type once however many consumers read it, and fans its events out to each', async () => {
      const seen: Record<string, string[]> = { first: [], second: [] };
      for (const consumer of ['first', 'second'] as const) {
        shared
          .informer<KubeObject>(Resources.Service, SELECTOR)
          .on((event: InformerEvent, o) => seen[consumer]?.push(`${event} ${o.metadata.name}`));
      }
      await shared.start();
      await kubectl(
        env,
        ['apply', '-n', ns, '-f', '-'],
        JSON.stringify({
          apiVersion: 'v1',
          kind: 'Service',
          metadata: { name: 'fan-out', labels: { 'app.kubernetes.io/managed-by': 'shared-test' } },
          spec: { clusterIP: 'None', ports: [{ port: 80 }] },
        }),
      );
      for (let i = 0; i < 100 && (seen.first?.length === 0 || seen.second?.length === 0); i++) {
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(seen.first).to.deep.equal(['add fan-out']);
      expect(seen.second).to.deep.equal(['add fan-out']);
      const onServices = requests.filter(([, resource]) => resource === 'services').map(([verb]) => verb);
      expect(onServices.filter((v) => v === 'list')).to.have.length(1);
      expect(onServices.filter((v) => v === 'watch')).to.have.length(1);
    });
  });
});
