/**
 * The real control plane `make test` starts (hack/cluster): kubectl, namespaces per test file, and the
 * operator and the router started as processes, the way `make operator` and the chart run them.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { type RouterProcess, spawnRouter } from './router-process.js';

export type { RouterProcess } from './router-process.js';

export const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);

export interface ClusterEnv {
  readonly KUBECONFIG: string;
  readonly KUBECTL: string;
  readonly ETCD_URL: string;
}

/** The cluster of this checkout, or undefined when none is up. */
export function clusterEnv(): ClusterEnv | undefined {
  const file = join(ROOT, '.cluster/env');
  if (!existsSync(file)) return undefined;
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^([A-Z_]+)='?(.*?)'?$/.exec(line.trim());
    if (m) env[m[1] as string] = m[2] as string;
  }
  return env as unknown as ClusterEnv;
}

/**
 * For `before` hooks of cluster suites: the cluster, or a skip. `make test` sets CLUSTER_REQUIRED, so there a
 * missing cluster fails the run instead of skipping it.
 */
export function requireCluster(ctx: Mocha.Context): ClusterEnv {
  const env = clusterEnv();
  if (env) return env;
  if (process.env.CLUSTER_REQUIRED)
    throw new Error('No test cluster is up: run `make cluster-up` (make test does)');
  ctx.skip();
  throw new Error('unreachable');
}

export async function kubectl(env: ClusterEnv, args: string[], input?: string): Promise<string> {
  const child = run(env.KUBECTL, ['--kubeconfig', env.KUBECONFIG, ...args], { maxBuffer: 16 * 1024 * 1024 });
  if (input !== undefined) {
    child.child.stdin?.end(input);
  }
  return (await child).stdout;
}

/** kubectl that returns the error text instead of throwing (admission failures). */
export async function kubectlResult(
  env: ClusterEnv,
  args: string[],
  input?: string,
): Promise<{ ok: boolean; output: string }> {
  try {
    return { ok: true, output: await kubectl(env, args, input) };
  } catch (err) {
    return { ok: false, output: String((err as { stderr?: string }).stderr ?? err) };
  }
}

/** `kubectl patch --type=merge` of one object; `status` patches what a kubelet or controller would write. */
export function mergePatch(
  env: ClusterEnv,
  target: { kind: string; name: string; namespace: string; subresource?: 'status' },
  patch: unknown,
): Promise<string> {
  const { kind, name, namespace, subresource } = target;
  return kubectl(env, [
    'patch',
    kind,
    name,
    '-n',
    namespace,
    ...(subresource ? [`--subresource=${subresource}`] : []),
    '--type=merge',
    '-p',
    JSON.stringify(patch),
  ]);
}

export async function getJson<T = any>(env: ClusterEnv, args: string[]): Promise<T> {
  return JSON.parse(await kubectl(env, [...args, '-o', 'json'])) as T;
}

let crdsApplied = false;
export async function applyCrds(env: ClusterEnv): Promise<void> {
  if (crdsApplied) return;
  await kubectl(env, ['apply', '-f', join(ROOT, 'crds')]);
  await kubectl(env, [
    'wait',
    '--for=condition=Established',
    '--timeout=30s',
    'crd/aimodels.ai.paissive.io',
    'crd/modelversions.ai.paissive.io',
  ]);
  crdsApplied = true;
}

export async function createNamespace(env: ClusterEnv, prefix: string): Promise<string> {
  const name = `${prefix}-${process.pid}-${Math.floor(Math.random() * 1e6)}`;
  await kubectl(env, ['create', 'namespace', name]);
  return name;
}

export async function deleteNamespace(env: ClusterEnv, name: string): Promise<void> {
  await kubectl(env, ['delete', 'namespace', name, '--wait=false', '--ignore-not-found']);
}

export interface OperatorProcess {
  readonly process: ChildProcess;
  readonly port: number;
  readonly logs: Record<string, unknown>[];
  /** Counter samples of the operator's /metrics, keyed `name{labels}`. */
  metrics(): Promise<Map<string, number>>;
  /** Write requests so far (every verb that changes state), leases excluded. */
  writes(): Promise<number>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startOperator(
  env: ClusterEnv,
  namespace: string,
  extra: Record<string, string> = {},
): Promise<OperatorProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'operator/src/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      KUBECONFIG: env.KUBECONFIG,
      WATCH_NAMESPACE: namespace,
      POD_NAMESPACE: namespace,
      METRICS_PORT: '0',
      METRICS_HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      ...extra,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const logs: Record<string, unknown>[] = [];
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(new Error('operator did not start within 30 s'));
    }, 30_000);
    child.once('exit', (code) => fail(new Error(`operator exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const entry = JSON.parse(line) as Record<string, unknown>;
      logs.push(entry);
      if (entry.msg === 'Operator listening') {
        clearTimeout(timer);
        ok(entry.port as number);
      }
    });
  });
  const metrics = async () => {
    const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    const samples = new Map<string, number>();
    for (const line of text.split('\n')) {
      const m = /^([a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$/.exec(line);
      if (m) samples.set(m[1] as string, Number(m[2]));
    }
    return samples;
  };
  return {
    process: child,
    port,
    logs,
    metrics,
    async writes() {
      let n = 0;
      for (const [key, value] of await metrics()) {
        if (!key.startsWith('operator_kube_requests_total{')) continue;
        if (/verb="(create|apply|patch|update|delete)"/.test(key) && !key.includes('resource="leases"'))
          n += value;
      }
      return n;
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode !== null) return child.exitCode;
      const exited = new Promise<number | null>((ok) => child.once('exit', (code) => ok(code)));
      child.kill(signal);
      return exited;
    },
  };
}

/** The router in cluster mode (CATALOG=kubernetes) serving `namespace`. */
export function startRouter(
  env: ClusterEnv,
  namespace: string,
  extra: Record<string, string> = {},
): Promise<RouterProcess> {
  return spawnRouter({
    CATALOG: 'kubernetes',
    KUBECONFIG: env.KUBECONFIG,
    WATCH_NAMESPACE: namespace,
    LOG_LEVEL: 'info',
    ...extra,
  });
}

/** A kubeconfig (written to `path`) that authenticates as a service account, with a fresh token. */
export async function serviceAccountKubeconfig(
  env: ClusterEnv,
  namespace: string,
  account: string,
  path: string,
): Promise<string> {
  const token = (await kubectl(env, ['create', 'token', account, '-n', namespace, '--duration=1h'])).trim();
  const admin = await getJson(env, ['config', 'view', '--raw', '--minify']);
  await writeFile(
    path,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'c', cluster: admin.clusters[0].cluster }],
      users: [{ name: account, user: { token } }],
      contexts: [{ name: 'c', context: { cluster: 'c', user: account } }],
      'current-context': 'c',
    }),
  );
  return path;
}

/** `kubectl get <kind>` as rows of named columns (the printer columns). */
export async function table(
  env: ClusterEnv,
  namespace: string,
  kind: string,
): Promise<Record<string, string>[]> {
  const text = await kubectl(env, ['get', kind, '-n', namespace]);
  const [header, ...lines] = text.trimEnd().split('\n');
  const starts: [string, number][] = [];
  for (const m of (header as string).matchAll(/\S+/g)) starts.push([m[0], m.index as number]);
  return lines.map((line) =>
    Object.fromEntries(
      starts.map(([name, start], i) => [name, line.slice(start, starts[i + 1]?.[1] ?? line.length).trim()]),
    ),
  );
}
