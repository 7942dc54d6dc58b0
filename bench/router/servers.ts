/**
 * What the router bench starts and sends: the targets, how each server is started, the request bodies,
 * and the two questions asked of the router (is it serving yet, its overhead histogram).
 * @module
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StartOptions } from './procs.js';
import { BIG_ANSWER_TOKENS } from './upstream.js';

export const ALL = ['direct', 'proxy', 'proxy-fetch', 'router', 'portkey'] as const;
export type Name = (typeof ALL)[number];

const PROMPT = 'Say hello to the benchmark.';
const messages = [{ role: 'user', content: PROMPT }];
/** Bodies sample (temperature > 0 unless told otherwise), which the router's cache skips: a miss path. */
export const chatBody = (temperature: number): string =>
  JSON.stringify({ model: 'bench', messages, temperature, max_tokens: 16 });
/** Asks for the usage chunk, as the router does upstream anyway: every target relays the same bytes. */
export const streamBody = (): string =>
  JSON.stringify({
    model: 'bench',
    messages,
    temperature: 0.7,
    max_tokens: 64,
    stream: true,
    stream_options: { include_usage: true },
  });
/** The mock answers this one with 1 MiB of content (see upstream.ts). */
export const bigBody = (): string =>
  JSON.stringify({ model: 'bench', messages, temperature: 0.7, max_tokens: BIG_ANSWER_TOKENS });
/**
 * One key for everything: the router's API key of caller `bench` (router keys need 16 characters or
 * more), and the upstream key every target forwards to the mock, which does not check it.
 */
const KEY = 'sk-bench-0123456789';
export const AUTH = { authorization: `Bearer ${KEY}` };

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
          BENCH_KEY: KEY,
          // Production's path: every request authenticated by a router API key, admitted by a rate limit
          // (evaluated on every request, set far above what the bench can send), metered per caller.
          ROUTER_API_KEYS: `bench:${KEY}`,
          ROUTER_RATE_LIMITS: '*=100000000',
          RATE_LIMIT_WINDOW_SECONDS: '60',
        },
      };
  }
}

/** Resolves once the router answers a chat completion (it says 503 until the model is Ready). */
export async function routerReady(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: chatBody(0.7),
    });
    const text = await res.text();
    if (res.ok) return;
    if (Date.now() > deadline)
      throw new Error(`the router does not answer /v1/chat/completions: ${res.status} ${text.slice(0, 300)}`);
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
