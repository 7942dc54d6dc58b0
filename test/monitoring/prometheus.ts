/**
 * A real Prometheus (Debian's `prometheus` package, `make monitoring-tools`) for the monitoring tests: its own
 * config scraping the given targets on loopback every second, the chart's alert rules loaded, a temporary
 * storage directory and a free port. Queried over its HTTP API as Grafana and Alertmanager would.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { stringify } from 'yaml';
import { eventually } from '../support/eventually.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const RULES_FILE = join(ROOT, 'charts/paissive/files/alerts/rules.yaml');
/** The namespace label every target gets, as the Prometheus Operator's scrape configs set it. */
export const NAMESPACE = 'paissive-monitoring';

export interface ScrapeJob {
  readonly job: string;
  /** host:port of each /metrics. */
  readonly targets: readonly string[];
}

export interface QueryResult {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

export interface Prometheus {
  readonly url: string;
  /** Metric names Prometheus holds (/api/v1/label/__name__/values). */
  names(): Promise<Set<string>>;
  /** An instant query; throws with Prometheus's error text when it fails. */
  query(expr: string): Promise<QueryResult[]>;
  /** The loaded rules with their health (ok, err, unknown) and last error. */
  rules(): Promise<{ name: string; health: string; lastError?: string; query: string }[]>;
  stop(): Promise<void>;
}

/** The binary, or undefined when the package is not installed. */
export function prometheusBinary(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v prometheus'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

async function api<T>(url: string): Promise<T> {
  const res = await fetch(url);
  const body = (await res.json()) as { status: string; data: T; error?: string };
  if (body.status !== 'success') throw new Error(`${body.error ?? res.status} (${url})`);
  return body.data;
}

export async function startPrometheus(jobs: readonly ScrapeJob[]): Promise<Prometheus> {
  const binary = prometheusBinary();
  if (!binary) throw new Error('prometheus is not installed: run `make monitoring-tools`');
  const dir = await mkdtemp(join(tmpdir(), 'prometheus-'));
  const config = {
    global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
    rule_files: [RULES_FILE],
    scrape_configs: jobs.map((j) => ({
      job_name: j.job,
      static_configs: [{ targets: j.targets, labels: { namespace: NAMESPACE } }],
    })),
  };
  await writeFile(join(dir, 'prometheus.yml'), stringify(config));
  const port = await freePort();
  const child: ChildProcess = spawn(
    binary,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += String(chunk);
  });
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((ok) => child.once('exit', ok));
      child.kill('SIGTERM');
      await exited;
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}: ${stderr}`);
        return (await fetch(`${url}/-/ready`)).ok ? true : undefined;
      },
      'prometheus ready',
      20_000,
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    names: async () => new Set(await api<string[]>(`${url}/api/v1/label/__name__/values`)),
    query: async (expr) =>
      (await api<{ result: QueryResult[] }>(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`)).result,
    rules: async () => {
      const data = await api<{
        groups: { rules: { name: string; health: string; lastError?: string; query: string }[] }[];
      }>(`${url}/api/v1/rules`);
      return data.groups.flatMap((g) => g.rules);
    },
    stop,
  };
}
