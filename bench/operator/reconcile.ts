/**
 * How long the operator takes to bring N ModelVersions to Ready on the local test control plane (real
 * kube-apiserver, controller manager, scheduler; kwok nodes). The manifests are applied first; the clock
 * starts when the operator starts and stops when every READY column is full, so it measures reconciling,
 * not kubectl. Run: make cluster-up && node --import tsx bench/operator/reconcile.ts [count]   (default 200)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { KubeApi } from '../../kube/src/api.js';
import { KubeClient } from '../../kube/src/client.js';
import { Resources } from '../../kube/src/resources.js';
import {
  applyCrds,
  clusterEnv,
  createNamespace,
  kubectl,
  ROOT,
  startOperator,
} from '../../test/support/cluster.js';

const COUNT = Number(process.argv[2] ?? 200);
const PER_MODEL = 10;
const EXTRA_NODES = Math.ceil(COUNT / 100);

const env = clusterEnv();
if (!env) throw new Error('No test cluster: run `make cluster-up` first');

const node = (i: number) => `
apiVersion: v1
kind: Node
metadata:
  name: bench-cpu-${i}
  annotations: {kwok.x-k8s.io/node: fake}
  labels: {kubernetes.io/hostname: bench-cpu-${i}, type: kwok, bench: "true"}
status:
  allocatable: {cpu: "64", memory: 256Gi, pods: "110"}
  capacity: {cpu: "64", memory: 256Gi, pods: "110"}
`;

function manifests(count: number): string {
  const docs: string[] = [];
  for (let m = 0; m < Math.ceil(count / PER_MODEL); m++) {
    docs.push(`apiVersion: ai.paissive.io/v1alpha1
kind: AIModel
metadata: {name: bench-${m}}
spec: {provider: onnx, capabilities: [text-classification]}`);
    for (let v = 0; v < PER_MODEL && m * PER_MODEL + v < count; v++) {
      docs.push(`apiVersion: ai.paissive.io/v1alpha1
kind: ModelVersion
metadata: {name: bench-${m}-v${v}}
spec: {model: bench-${m}, version: v${v}, default: ${v === 0}, replicas: 1, artifact: {uri: "s3://models/bench/${m}/${v}.tar.gz"}, resources: {cpu: 100m, memory: 128Mi}}`);
    }
  }
  return docs.join('\n---\n');
}

const cpuSeconds = (pid: number): number => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100; // utime + stime, in clock ticks of 1/100 s
};

const COMPONENTS = ['kube-apiserver', 'etcd', 'kube-controller-manager', 'kube-scheduler', 'kwok'];
const componentCpu = (): Record<string, number> =>
  Object.fromEntries(
    COMPONENTS.map((c) => [
      c,
      cpuSeconds(Number(readFileSync(join(ROOT, '.cluster/pids', `${c}.pid`), 'utf8'))),
    ]),
  );

const api = new KubeApi(KubeClient.load(env.KUBECONFIG), 'bench');
await applyCrds(env);
await kubectl(
  env,
  ['apply', '-f', '-'],
  Array.from({ length: EXTRA_NODES }, (_, i) => node(i)).join('\n---\n'),
);
const ns = await createNamespace(env, 'bench');
const applying = performance.now();
await kubectl(env, ['apply', '-n', ns, '-f', '-'], manifests(COUNT));
const applied = performance.now();
const cpuBefore = componentCpu();
const started = performance.now();
const operator = await startOperator(env, ns, { LOG_LEVEL: 'info', WORKERS: process.env.WORKERS ?? '8' });
try {
  let ready = 0;
  let deployed: number | undefined;
  while (ready < COUNT) {
    await new Promise((r) => setTimeout(r, 250));
    if (deployed === undefined) {
      const deployments = (await api.list(Resources.Deployment, ns)).items;
      if (deployments.length === COUNT) deployed = performance.now();
    }
    // Polled in-process (not with kubectl, whose start-up would compete with what is measured).
    const items = (await api.list(Resources.ModelVersion, ns)).items as any[];
    ready = items.filter((v) =>
      v.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True'),
    ).length;
  }
  const done = performance.now();
  const cpuAfter = componentCpu();
  let writes = 0;
  let reconciles = 0;
  for (const [k, v] of await operator.metrics()) {
    if (k.startsWith('operator_reconcile_total{')) reconciles += v;
    if (
      k.startsWith('operator_kube_requests_total{') &&
      /verb="(apply|create|patch|update|delete)"/.test(k) &&
      !k.includes('leases')
    )
      writes += v;
  }
  const pid = operator.process.pid as number;
  console.log(
    JSON.stringify(
      {
        modelVersions: COUNT,
        aiModels: Math.ceil(COUNT / PER_MODEL),
        kubectlApplySeconds: +((applied - applying) / 1000).toFixed(2),
        allDeploymentsCreatedSeconds: +(((deployed ?? performance.now()) - started) / 1000).toFixed(2),
        allReadySeconds: +((done - started) / 1000).toFixed(2),
        operatorCpuSeconds: cpuSeconds(pid),
        operatorWrites: writes,
        reconcilePasses: reconciles,
        controlPlaneCpuSeconds: Object.fromEntries(
          COMPONENTS.map((c) => [c, +((cpuAfter[c] ?? 0) - (cpuBefore[c] ?? 0)).toFixed(2)]),
        ),
      },
      null,
      2,
    ),
  );
} finally {
  await operator.stop();
  // Wait for the garbage collector, so a run right after this one does not compete with it.
  await kubectl(env, ['delete', 'namespace', ns, '--timeout=180s']);
  await kubectl(env, ['delete', 'nodes', '-l', 'bench=true', '--wait=false']);
}
