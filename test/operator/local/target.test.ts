/**
 * The local target against the target contract: real runtime processes (runtime/src/main.ts) serving the
 * sentiment example model built by `make models`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino } from 'pino';
import type { AIModel, ModelVersion } from '../../../crds/src/index.js';
import { LocalRuntimeTarget } from '../../../operator/src/local/local-target.js';
import { RuntimeSupervisor } from '../../../operator/src/local/supervisor.js';
import { ROOT } from '../../support/cluster.js';
import { type TargetHarness, targetContract } from '../target-contract.js';

const RUNTIME = fileURLToPath(new URL('../../../runtime/src/main.ts', import.meta.url));
const ARTIFACT = pathToFileURL(join(ROOT, 'models/build/sentiment-v1')).href;

const model: AIModel = {
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'AIModel',
  metadata: { name: 'sentiment' },
  spec: { provider: 'onnx', capabilities: ['text-classification'] },
} as AIModel;

describe('operator/local: LocalRuntimeTarget', function () {
  this.timeout(90_000);
  let cache: string;
  let supervisor: RuntimeSupervisor;
  let target: LocalRuntimeTarget;
  const pids = new Set<string>();

  before(async () => {
    cache = await mkdtemp(join(tmpdir(), 'local-target-'));
    supervisor = new RuntimeSupervisor({
      logger: pino({ level: 'silent' }),
      entry: RUNTIME,
      output: 'ignore',
      initialBackoffMs: 200,
      env: { ...process.env, MODEL_CACHE_DIR: cache, LOG_LEVEL: 'warn' },
    });
    // Every process the target starts or stops shows here.
    supervisor.on('update', (s) => s.pid && pids.add(`${s.key}:${s.pid}`));
    supervisor.on('removed', (key) => pids.add(`${key}:removed`));
    target = new LocalRuntimeTarget({
      supervisor,
      host: '127.0.0.1',
      maxReplicas: 2,
      sources: () => new Map(),
    });
  });
  after(async () => {
    await supervisor?.stopAll();
    if (cache) await rm(cache, { recursive: true, force: true });
  });

  targetContract(
    'local (child processes)',
    (): TargetHarness => ({
      target,
      model,
      async version(name, o) {
        return {
          apiVersion: 'ai.paissive.io/v1alpha1',
          kind: 'ModelVersion',
          metadata: { name, generation: 1 },
          spec: {
            model: 'sentiment',
            version: name,
            default: false,
            deprecated: false,
            replicas: o.replicas,
            artifact: { uri: o.artifactUri ?? ARTIFACT },
          },
        } as ModelVersion;
      },
      async running(version) {
        return supervisor.states().filter((s) => s.key.startsWith(`${version.metadata.name}/`) && s.pid)
          .length;
      },
      async fingerprint() {
        return [...pids].sort().join(',');
      },
      async artifactMissing() {
        // The runtime process finds no directory at the URI and exits 5 by itself.
      },
    }),
  );
});
