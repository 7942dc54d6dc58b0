/**
 * A router in local mode, in this process, over a manifest folder written by the test: real runtime
 * processes for onnx models (the local operator), loopback OpenAI-compatible upstreams for openai ones.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pino } from 'pino';
import { loadConfig } from '../../../api/src/config.js';
import { type LocalMode, startLocalMode } from '../../../api/src/local-mode.js';
import { eventually } from '../../support/eventually.js';

export const BUILD = resolve(import.meta.dirname, '../../../models/build');

export interface TestRouter {
  readonly url: string;
  readonly dir: string;
  post(
    path: string,
    body: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; headers: Headers; body: any }>;
  get(path: string): Promise<{ status: number; headers: Headers; body: any }>;
  metric(name: string): Promise<number>;
  close(): Promise<void>;
}

export const openaiModel = (name: string, baseURL: string, extra = '') => `
apiVersion: ai.paissive.io/v1alpha1
kind: AIModel
metadata: {name: ${name}}
spec:
  provider: openai
  capabilities: [chat, text-generation, embedding]
  endpoint: {baseURL: "${baseURL}", model: upstream-${name}, apiKeyEnv: TEST_KEY}
  pricing: {inputPer1kTokens: 1, outputPer1kTokens: 2}
${extra}`;

export const onnxModel = (name: string, artifact: string, versions: string[], extra = '') =>
  [
    `apiVersion: ai.paissive.io/v1alpha1
kind: AIModel
metadata: {name: ${name}}
spec:
  provider: onnx
  capabilities: [text-generation]
${extra}`,
    ...versions.map(
      (v, i) => `apiVersion: ai.paissive.io/v1alpha1
kind: ModelVersion
metadata: {name: ${name}-${v}}
spec: {model: ${name}, version: ${v}, default: ${i === 0}, replicas: 2, artifact: {uri: "file://${join(BUILD, artifact)}"}}`,
    ),
  ].join('\n---\n');

/** `readyMs`: how long every runtime may take to come up (many runtimes on a busy machine need more). */
/** An onnx AIModel and its one ModelVersion (v1, default, one replica) serving the model directory `dir`. */
export const exportModel = (
  name: string,
  dir: string,
  capabilities: readonly string[],
) => `apiVersion: ai.paissive.io/v1alpha1
kind: AIModel
metadata: {name: ${name}}
spec:
  provider: onnx
  capabilities: [${capabilities.join(', ')}]
---
apiVersion: ai.paissive.io/v1alpha1
kind: ModelVersion
metadata: {name: ${name}-v1}
spec: {model: ${name}, version: v1, default: true, replicas: 1, artifact: {uri: "file://${dir}"}}`;

export async function startRouter(
  manifests: string[],
  env: Record<string, string> = {},
  readyMs = 60_000,
): Promise<TestRouter> {
  const dir = await mkdtemp(join(tmpdir(), 'router-'));
  await Promise.all(manifests.map((m, i) => writeFile(join(dir, `m${i}.yaml`), m)));
  const config = loadConfig({
    MODELS_DIR: dir,
    PORT: '0',
    LOCAL_RUNTIME_OUTPUT: 'ignore',
    ATTEMPT_TIMEOUT_MS: '500',
    RETRY_BASE_DELAY_MS: '5',
    ...env,
  });
  const local: LocalMode = await startLocalMode(config, pino({ level: 'silent' }), {
    TEST_KEY: 'sk-test',
    ...env,
  });
  const call = async (path: string, init?: RequestInit) => {
    const res = await fetch(`${local.url}${path}`, init);
    const text = await res.text();
    const body = res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
    return { status: res.status, headers: res.headers, body };
  };
  const router: TestRouter = {
    url: local.url,
    dir,
    post: (path, body, headers = {}) =>
      call(path, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify(body),
      }),
    get: (path) => call(path),
    async metric(name) {
      const text = (await call('/metrics')).body as string;
      let sum = 0;
      for (const line of text.split('\n'))
        if (line.startsWith(name)) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
      return sum;
    },
    async close() {
      await local.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
  await eventually(
    async () => ((await router.get('/readyz')).status === 200 ? true : undefined),
    'router ready',
    readyMs,
  );
  return router;
}
