/**
 * CLI: trains and exports the project's small models.
 *
 *   node --import tsx models/src/build.ts --out models/build [--only <name>...] [--threads N] [--data DIR]
 *
 * Prints one line per model (name, parameters, final training loss, build time, digest) as it lands.
 * @module
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { fmtLoss } from './build/artifact.js';
import { buildModels, type ModelResult } from './build/run.js';

/** models/data next to the sources; from a compiled dist/ tree, models/data under the working directory. */
function defaultDataDir(): string {
  const beside = fileURLToPath(new URL('../data', import.meta.url));
  return existsSync(beside) ? beside : resolve('models/data');
}

function line(r: ModelResult): string {
  const params = r.summary.paramCount.toLocaleString('en-US');
  return `${r.name.padEnd(22)} params ${params.padStart(7)}  loss ${fmtLoss(r.summary.finalLoss)}  ${(r.ms / 1000).toFixed(1).padStart(5)} s  sha256:${r.digest}\n    ${r.summary.detail}`;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      out: { type: 'string', default: 'models/build' },
      only: { type: 'string', multiple: true },
      threads: { type: 'string' },
      data: { type: 'string' },
    },
    allowPositionals: false,
  });
  const threads = values.threads === undefined ? Math.min(2, availableParallelism()) : Number(values.threads);
  if (!Number.isInteger(threads) || threads < 0)
    throw new Error(`--threads must be a whole number, got ${values.threads}`);
  const start = performance.now();
  const results = await buildModels({
    outDir: resolve(values.out),
    dataDir: values.data ? resolve(values.data) : defaultDataDir(),
    only: values.only ?? [],
    threads,
    onModel: (r) => process.stdout.write(`${line(r)}\n`),
  });
  const total = ((performance.now() - start) / 1000).toFixed(1);
  process.stdout.write(
    `built ${results.length} model(s) into ${values.out} in ${total} s on ${threads} thread(s)\n`,
  );
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
