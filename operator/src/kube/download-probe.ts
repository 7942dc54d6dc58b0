/**
 * How the operator learns a runtime pod's artifact fetch in a cluster. A pod that fetches is running but not
 * ready, so nothing in its Kubernetes status says how far it got; the runtime says it over gRPC: RepositoryIndex's
 * reason while LOADING (`downloading: 1048576 of 4194304 bytes`), ModelMetadata's parameters once loaded.
 *
 * The prober asks only those pods (running, not ready, with an IP), every interval, with a short deadline and
 * a bounded number of calls at once, and keeps the last answer of each pod: a probe that times out keeps what
 * was known instead of blanking the status. When an answer changes it enqueues the pod's ModelVersion, whose
 * reconcile reads the answers (the status mapping stays pure). Only the leader runs it.
 * @module
 */
import type { V1Pod } from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { LABEL_MODEL, LABEL_MODEL_VERSION } from '../../../crds/src/labels.js';
import { downloadProgressOf, RuntimeClient } from '../../../runtime/src/client/index.js';
import type { DownloadStatus } from '../../../runtime/src/model-store/progress.js';

export interface ProbeTarget {
  /** `namespace/pod`. */
  readonly key: string;
  /** `host:port` of the runtime's gRPC port. */
  readonly address: string;
  /** The served model name (the AIModel's). */
  readonly model: string;
  /** `namespace/modelversion` that owns the pod. */
  readonly owner: string;
}

export type ProbeFn = (target: ProbeTarget, timeoutMs: number) => Promise<DownloadStatus | undefined>;

const RUNTIME_CONTAINER = 'runtime';

/** Pods whose runtime is up but not ready (fetching or loading): the only ones with progress to tell. Pure. */
export function probeTargets(pods: readonly V1Pod[]): ProbeTarget[] {
  const targets: ProbeTarget[] = [];
  for (const pod of pods) {
    const meta = pod.metadata;
    const ip = pod.status?.podIP;
    const owner = meta?.labels?.[LABEL_MODEL_VERSION];
    const model = meta?.labels?.[LABEL_MODEL];
    if (!meta?.name || meta.deletionTimestamp || !ip || !owner || !model) continue;
    const status = pod.status?.containerStatuses?.find((c) => c.name === RUNTIME_CONTAINER);
    if (!status?.state?.running || status.ready) continue;
    const container = pod.spec?.containers.find((c) => c.name === RUNTIME_CONTAINER);
    const port = container?.ports?.find((p) => p.name === 'grpc')?.containerPort;
    if (!port) continue;
    const host = ip.includes(':') ? `[${ip}]` : ip;
    targets.push({
      key: `${meta.namespace}/${meta.name}`,
      address: `${host}:${port}`,
      model,
      owner: `${meta.namespace}/${owner}`,
    });
  }
  return targets;
}

/** Asks one runtime how its fetch goes; undefined when it has nothing to tell (a file:// artifact, loading). */
export const probeRuntime: ProbeFn = async (target, timeoutMs) => {
  const client = new RuntimeClient(target.address);
  const deadline = Date.now() + timeoutMs;
  try {
    const entry = (await client.repositoryIndex({ deadline: new Date(deadline) })).find(
      (e) => e.name === target.model,
    );
    if (!entry) return undefined;
    if (entry.state === 'LOADING') return downloadProgressOf(entry);
    if (entry.state !== 'READY') return undefined;
    return (await client.modelMetadata(target.model, '', { deadline: new Date(deadline) })).download;
  } finally {
    client.close();
  }
};

const same = (a: DownloadStatus | undefined, b: DownloadStatus | undefined): boolean =>
  a?.state === b?.state && a?.bytesDownloaded === b?.bytesDownloaded && a?.bytesTotal === b?.bytesTotal;

export interface DownloadProberOptions {
  /** The pods to consider (the informer's cache). */
  readonly pods: () => readonly V1Pod[];
  /** Called with `namespace/modelversion` when what a pod of it tells changed. */
  readonly onChange: (owner: string) => void;
  readonly logger: Logger;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly probe?: ProbeFn;
}

export class DownloadProber {
  readonly #o: DownloadProberOptions;
  readonly #known = new Map<string, DownloadStatus>();
  #timer?: NodeJS.Timeout;
  #running?: Promise<void>;
  #stopped = true;

  constructor(options: DownloadProberOptions) {
    this.#o = options;
  }

  /** The last fetch state pod `namespace/name` told, if it is being probed and ever answered. */
  get(podKey: string): DownloadStatus | undefined {
    return this.#known.get(podKey);
  }

  /** One round: asks every target (at most `concurrency` at once), forgets pods that are no longer targets. */
  async tick(): Promise<void> {
    const targets = probeTargets(this.#o.pods());
    const wanted = new Set(targets.map((t) => t.key));
    for (const key of this.#known.keys()) if (!wanted.has(key)) this.#known.delete(key);
    const queue = [...targets];
    const worker = async () => {
      for (let target = queue.shift(); target; target = queue.shift()) await this.#probeOne(target);
    };
    await Promise.all(Array.from({ length: Math.min(this.#o.concurrency, queue.length) }, worker));
  }

  async #probeOne(target: ProbeTarget): Promise<void> {
    const probe = this.#o.probe ?? probeRuntime;
    let status: DownloadStatus | undefined;
    try {
      status = await probe(target, this.#o.timeoutMs);
    } catch (err) {
      // Unreachable or not listening yet: keep what was known; the next round asks again.
      this.#o.logger.debug({ pod: target.key, address: target.address, err }, 'Download probe failed');
      return;
    }
    if (!status || same(status, this.#known.get(target.key))) return;
    this.#known.set(target.key, status);
    this.#o.onChange(target.owner);
  }

  /** Probes every interval until stop(); a round never overlaps the previous one. */
  start(): void {
    this.#stopped = false;
    const loop = () => {
      this.#running = this.tick()
        .catch((err: unknown) => this.#o.logger.warn({ err }, 'Download probe round failed'))
        .finally(() => {
          if (!this.#stopped) this.#timer = setTimeout(loop, this.#o.intervalMs).unref();
        });
    };
    loop();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
  }
}
