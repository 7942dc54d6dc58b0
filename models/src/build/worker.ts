/**
 * Worker-thread side of the parallel build: receives model names, builds each, and posts the files
 * back (a few hundred kilobytes, so copying them is cheaper than reasoning about transfer). The main
 * thread owns the disk.
 * @module
 */
import { parentPort } from 'node:worker_threads';
import { buildOne, type BuildJob, type WorkerReply } from './jobs.js';

const port = parentPort;
if (!port) throw new Error('worker.ts must run in a worker thread');

port.on('message', (job: BuildJob | null) => {
  if (job === null) {
    port.close();
    return;
  }
  let reply: WorkerReply;
  try {
    const built = buildOne(job);
    const files = [...built.artifact.files];
    reply = { ok: true, name: job.name, files, summary: built.artifact.summary, ms: built.ms };
    port.postMessage(reply);
  } catch (e) {
    reply = { ok: false, name: job.name, error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
    port.postMessage(reply);
  }
});
