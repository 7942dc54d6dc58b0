/**
 * Builds the selected models into an output directory: in worker threads for the CLI, or in this
 * thread (tests, one small model). Either way each artifact is written atomically and its digest is
 * recorded in digests.json.
 * @module
 */
import { mkdir } from 'node:fs/promises';
import type { ArtifactSummary } from './artifact.js';
import { type BuildJob, type Built, buildOne } from './jobs.js';
import { runInWorkers } from './pool.js';
import { RECIPES, recipe } from './registry.js';
import { updateDigests, writeArtifact } from './write.js';

export interface BuildOptions {
  readonly outDir: string;
  readonly dataDir: string;
  /** Model names; all models when empty or missing. */
  readonly only?: readonly string[];
  /** Worker threads; 0 builds in the calling thread. */
  readonly threads?: number;
  readonly onModel?: (result: ModelResult) => void;
}

export interface ModelResult {
  readonly name: string;
  readonly digest: string;
  readonly summary: ArtifactSummary;
  readonly ms: number;
}

export async function buildModels(opts: BuildOptions): Promise<ModelResult[]> {
  const names = opts.only?.length ? [...new Set(opts.only)] : RECIPES.map((r) => r.name);
  const jobs: BuildJob[] = names
    .map((name) => recipe(name))
    .sort((a, b) => b.cost - a.cost)
    .map((r) => ({ name: r.name, dataDir: opts.dataDir }));
  await mkdir(opts.outDir, { recursive: true });
  const results: ModelResult[] = [];
  const done = async (built: Built): Promise<void> => {
    const digest = await writeArtifact(opts.outDir, built.artifact);
    const result = { name: built.artifact.name, digest, summary: built.artifact.summary, ms: built.ms };
    results.push(result);
    opts.onModel?.(result);
  };
  const threads = opts.threads ?? 0;
  if (threads > 0) await runInWorkers(jobs, threads, done);
  else for (const job of jobs) await done(buildOne(job));
  await updateDigests(opts.outDir, Object.fromEntries(results.map((r) => [r.name, r.digest])));
  return results.sort((a, b) => (a.name < b.name ? -1 : 1));
}
