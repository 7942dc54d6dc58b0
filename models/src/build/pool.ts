/**
 * Runs build jobs on worker threads, most expensive first, one job per worker at a time. Each model
 * is built from its own seed, so the order in which workers finish cannot change any output.
 * @module
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { type BuildJob, type Built, fromReply, type WorkerReply } from './jobs.js';

/**
 * Under tsx (sources run as .ts) a worker does not inherit the loader, so it starts from a tiny
 * CommonJS bootstrap that registers tsx's require hook and then loads the worker; compiled .js runs
 * directly. CommonJS because tsx may itself have loaded this file as CommonJS (under mocha), where
 * import.meta.resolve does not exist and tsx's ESM API cannot be registered from a required copy.
 */
function spawn(): Worker {
  const ts = import.meta.url.endsWith('.ts');
  const url = new URL(ts ? './worker.ts' : './worker.js', import.meta.url);
  if (!ts) return new Worker(url);
  const api = createRequire(import.meta.url).resolve('tsx/cjs/api');
  const boot = `require(${JSON.stringify(api)}).register(); require(${JSON.stringify(fileURLToPath(url))});`;
  return new Worker(boot, { eval: true });
}

export async function runInWorkers(
  jobs: readonly BuildJob[],
  threads: number,
  onDone: (built: Built) => Promise<void>,
): Promise<void> {
  const queue = [...jobs];
  const runWorker = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const worker = spawn();
      let pending: Promise<void> = Promise.resolve();
      let current: string | null = null;
      const next = (): void => {
        const job = queue.shift();
        current = job?.name ?? null;
        worker.postMessage(job ?? null);
        if (!job) pending.then(resolve, reject);
      };
      worker.on('message', (reply: WorkerReply) => {
        if (!reply.ok) {
          reject(new Error(`building ${reply.name} failed:\n${reply.error}`));
          void worker.terminate();
          return;
        }
        pending = pending.then(() => onDone(fromReply(reply)));
        next();
      });
      worker.on('error', reject);
      // A worker killed mid-job (out of memory, say) sends no reply; without this the build would hang.
      worker.on('exit', (code) => {
        if (current !== null) reject(new Error(`worker exited with code ${code} while building ${current}`));
      });
      next();
    });
  const n = Math.max(1, Math.min(threads, jobs.length));
  await Promise.all(Array.from({ length: n }, runWorker));
}
