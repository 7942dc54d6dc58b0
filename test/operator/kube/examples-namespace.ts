/**
 * A namespace of the test control plane holding the example manifests (and the Secret the gpt-4o-mini AIModel
 * names) with an operator reconciling it, for the tests that watch the operator at work; plus the reads and
 * nudges those tests share. Call `examplesNamespace()` inside a `describe`: it registers the hooks.
 */
import { join } from 'node:path';
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
import { secret } from './fixtures.js';

export interface ExamplesNamespace {
  readonly env: ClusterEnv;
  readonly ns: string;
  readonly operator: OperatorProcess;
  mv(name: string): Promise<any>;
  /** The reason of a ModelVersion's Ready condition. */
  reasonOf(name: string): Promise<string | undefined>;
  podsOf(name: string): Promise<any[]>;
  apply(yaml: string): Promise<string>;
  until<T>(what: string, check: () => Promise<T | undefined>, ms?: number): Promise<T>;
  patch(kind: string, name: string, patch: unknown): Promise<string>;
  /** Writes a pod's status as a kubelet would (kwok runs no containers). */
  patchPodStatus(pod: string, status: unknown): Promise<string>;
}

export function examplesNamespace(prefix: string): ExamplesNamespace {
  let env: ClusterEnv;
  let ns: string;
  let operator: OperatorProcess;

  before(async function () {
    env = requireCluster(this);
    await applyCrds(env);
    ns = await createNamespace(env, prefix);
    await kubectl(env, ['apply', '-n', ns, '-f', '-'], secret(ns));
    await kubectl(env, ['apply', '-n', ns, '-f', join(ROOT, 'examples')]);
    operator = await startOperator(env, ns);
  });
  after(async () => {
    await operator?.stop();
    if (ns) await deleteNamespace(env, ns);
  });

  const mv = (name: string) => getJson(env, ['get', 'modelversion', name, '-n', ns]);
  return {
    get env() {
      return env;
    },
    get ns() {
      return ns;
    },
    get operator() {
      return operator;
    },
    mv,
    reasonOf: async (name) =>
      (await mv(name)).status?.conditions?.find((c: any) => c.type === 'Ready')?.reason,
    podsOf: async (name) =>
      (await getJson(env, ['get', 'pods', '-n', ns, '-l', `ai.paissive.io/modelversion=${name}`]))
        .items as any[],
    apply: (yaml) => kubectl(env, ['apply', '-n', ns, '-f', '-'], yaml),
    until: (what, check, ms = 60_000) => eventually(check, what, ms),
    patch: (kind, name, patch) => mergePatch(env, { kind, name, namespace: ns }, patch),
    patchPodStatus: (pod, status) =>
      mergePatch(env, { kind: 'pod', name: pod, namespace: ns, subresource: 'status' }, status),
  };
}
