/**
 * What the router bench starts and sends: the targets, how each server is started, the request bodies,
 * and the two questions asked of the router (which route it serves, its overhead histogram).
 * @module
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StartOptions } from './procs.js';

export const ALL = ['direct', 'proxy', 'proxy-fetch', 'router', 'portkey'] as const;
export type Name = (typeof ALL)[number];

const PROMPT = 'Say hello to the benchmark.';
export const chatBody = (temperature: number): string =>
  JSON.stringify({
    model: 'bench',
    messages: [{ role: 'user', content: PROMPT }],
    temperature,
    max_tokens: 16,
  });
export const textBody = (temperature: number): string =>
  JSON.stringify({ model_id: 'bench', input: PROMPT, parameters: { temperature, max_tokens: 16 } });
export const AUTH = { authorization: 'Bearer sk-bench' };

/** A manifest folder with the one AIModel the router serves, pointing at the mock. */
export function routerManifest(upstreamPort: number): string {
  const dir = mkdtempSync(join(tmpdir(), 'router-bench-models-'));
  writeFileSync(
    join(dir, 'bench.yaml'),
    `apiVersion: ai.paissive.io/v1alpha1
kind: AIModel
metadata: {name: bench}
spec: {provider: openai, capabilities: [chat, text-generation, embedding], endpoint: {baseURL: "http://127.0.0.1:${upstreamPort}/v1", apiKeyEnv: BENCH_KEY}}
`,
  );
  return dir;
}

export interface Ports {
  readonly upstream: number;
  readonly port: number;
  readonly modelsDir: string;
  /** Where the router's source is (a checkout of another commit, to compare); the repository by default. */
  readonly routerRoot?: string;
  /** Run the router from dist/ (compiled by the bench first) rather than through tsx. */
  readonly compiled?: boolean;
}

export function serverOptions(name: Exclude<Name, 'direct'>, p: Ports): StartOptions {
  const tsx = ['--import', 'tsx'];
  const port = p.port;
  switch (name) {
    case 'proxy':
    case 'proxy-fetch': {
      const client = name === 'proxy' ? 'http' : 'fetch';
      const upstream = `http://127.0.0.1:${p.upstream}`;
      const args = ['bench/router/minimal-proxy.ts', '--upstream', upstream, '--client', client];
      return { name, args: [...tsx, ...args, '--port', String(port)], port };
    }
    case 'portkey':
      // Started the way its docs say; --headless skips the console UI and its static files.
      return {
        name,
        args: ['node_modules/@portkey-ai/gateway/build/start-server.js', `--port=${port}`, '--headless'],
        port,
      };
    case 'router':
      return {
        name,
        args: p.compiled ? ['dist/api/src/main.js'] : [...tsx, 'api/src/main.ts'],
        port,
        ...(p.routerRoot ? { cwd: p.routerRoot } : {}),
        env: {
          PORT: String(port),
          HOST: '127.0.0.1',
          // warn, not info: info logs a line per request, which the other targets do not pay for.
          LOG_LEVEL: 'warn',
          // The folder has no onnx ModelVersion, so no runtime process would start anyway.
          LOCAL_RUNTIMES: 'false',
          LOCAL_RUNTIME_OUTPUT: 'ignore',
          MODELS_DIR: p.modelsDir,
          BENCH_KEY: 'sk-bench',
        },
      };
  }
}

/** The router serves /v1/chat/completions once the lead's rework lands; until then /api/inference/text. */
export async function routerRoute(port: number): Promise<'chat' | 'text'> {
  const deadline = Date.now() + 30_000;
  let last = '';
  for (;;) {
    for (const [route, path, body] of [
      ['chat', '/v1/chat/completions', chatBody(0.7)],
      ['text', '/api/inference/text', textBody(0.7)],
    ] as const) {
      const res = await fetch(`http://127.0.0.1:${port}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...AUTH },
        body,
      });
      last = `${last}\n  ${path}: ${res.status} ${(await res.text()).slice(0, 300)}`.slice(-1000);
      if (res.ok) return route;
    }
    // The local operator marks the model Ready shortly after start; until then the router answers 503.
    if (Date.now() > deadline) throw new Error(`the router answers neither route:${last}`);
    await new Promise((ok) => setTimeout(ok, 250));
  }
}

/** Sum and count of router_overhead_seconds over every label set, from the router's /metrics. */
export async function overheadHistogram(port: number): Promise<{ sum: number; count: number }> {
  const body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  let sum = 0;
  let count = 0;
  for (const line of body.split('\n')) {
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (line.startsWith('router_overhead_seconds_sum')) sum += value;
    else if (line.startsWith('router_overhead_seconds_count')) count += value;
  }
  return { sum, count };
}
