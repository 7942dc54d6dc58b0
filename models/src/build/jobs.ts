/**
 * One model build as a job, and the messages a worker thread exchanges about it.
 * @module
 */
import type { Artifact, ArtifactSummary } from './artifact.js';
import { recipe } from './registry.js';

export interface BuildJob {
  readonly name: string;
  readonly dataDir: string;
}

export type WorkerReply =
  | {
      readonly ok: true;
      readonly name: string;
      readonly files: [string, Uint8Array][];
      readonly summary: ArtifactSummary;
      readonly ms: number;
    }
  | { readonly ok: false; readonly name: string; readonly error: string };

export interface Built {
  readonly artifact: Artifact;
  /** Wall time of training and export, in milliseconds. */
  readonly ms: number;
}

export function buildOne(job: BuildJob): Built {
  const start = performance.now();
  const artifact = recipe(job.name).build(job.dataDir);
  return { artifact, ms: performance.now() - start };
}

/** Rebuilds an Artifact from a worker's reply. */
export function fromReply(reply: Extract<WorkerReply, { ok: true }>): Built {
  return {
    artifact: { name: reply.name, files: new Map(reply.files), summary: reply.summary },
    ms: reply.ms,
  };
}
