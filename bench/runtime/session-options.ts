/**
 * onnxruntime session options on the MiniLM-shaped encoder (bench/runtime/minilm.ts): `session.run` of one
 * text (batch 1) and of 32 texts (batch 32, right-padded as the runtime pads them), for each variant below, in
 * one process. Every variant has its own session; they take turns in short blocks, in rotating order; medians
 * of wall ms per row and of the process's CPU ms per row (user + system: spinning thread pools show up there).
 * The runtime's choice is the `runtime` row: the session options runtime/src/engine/session.ts builds; a last
 * row runs that session's batch of 32 as one run per length, as the batcher may (engine/batch.ts planRuns).
 *
 * Run: node --import tsx bench/runtime/session-options.ts [runs per round at batch 1, default 60] [rounds, default 3]
 * (2 runs at batch 32 for every 10 at batch 1)
 * @module
 */
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { trainWordPiece } from '../../models/src/tokenizers/wordpiece.js';
import type { EngineConfig } from '../../runtime/src/config.js';
import { padRight, planRuns } from '../../runtime/src/engine/batch.js';
import { sessionOptions } from '../../runtime/src/engine/session.js';
import { writeMiniLM } from './minilm.js';
import { machine, median, TEXTS } from './serve.js';

const RUNS = Number(process.argv[2] ?? 60);
const ROUNDS = Number(process.argv[3] ?? 3);

const engine: EngineConfig = { executionProvider: 'cpu', cudaDeviceId: 0, spinning: false };
const base: ort.InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
};
const noSpin = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };

const VARIANTS: Record<string, ort.InferenceSession.SessionOptions> = {
  runtime: sessionOptions(engine, 'cpu'),
  'onnxruntime defaults (all cores, spinning)': base,
  'intra-op 1': { ...base, intraOpNumThreads: 1 },
  'intra-op 2': { ...base, intraOpNumThreads: 2 },
  'intra-op 2, no spinning': { ...base, intraOpNumThreads: 2, extra: noSpin },
  'optimisation basic': { ...base, graphOptimizationLevel: 'basic' },
  'optimisation extended': { ...base, graphOptimizationLevel: 'extended' },
  'memory arena off': { ...base, enableCpuMemArena: false },
  'memory pattern off': { ...base, enableMemPattern: false },
  'parallel execution, inter-op 2': { ...base, executionMode: 'parallel', interOpNumThreads: 2 },
};

const model = await writeMiniLM(TEXTS);
const tokenizer = trainWordPiece(TEXTS, { minCount: 1 });
const rows = TEXTS.map((t) => tokenizer.encode(t));

function feeds(batchRows: number[][]): Record<string, ort.Tensor> {
  const batch = padRight(batchRows, 0);
  const dims = [batch.batch, batch.length];
  return {
    input_ids: new ort.Tensor('int64', batch.inputIds, dims),
    attention_mask: new ort.Tensor('int64', batch.attentionMask, dims),
    token_type_ids: new ort.Tensor('int64', batch.tokenTypeIds, dims),
  };
}
const one = rows.map((r) => feeds([r]));
const rows32 = Array.from({ length: 32 }, (_, i) => rows[i % rows.length] as number[]);
const thirtyTwo = feeds(rows32);
/** The same 32 rows as the runtime's batcher runs them while it learns what a run costs: one run per length. */
const perLength = planRuns(
  rows32.map((r) => r.length),
  0,
).map((run) => feeds(run.map((i) => rows32[i] as number[])));
/** A row of the table that runs the runtime's session with its batch of 32 split per length. */
const SPLIT = 'runtime, batch 32 as one run per length';

/** One run: [wall ms per row, CPU ms per row]. */
async function measure(
  session: ort.InferenceSession,
  batch: 1 | 32,
  i: number,
  split = false,
): Promise<[number, number]> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  if (batch === 1) await session.run(one[i % one.length] as typeof thirtyTwo);
  else for (const run of split ? perLength : [thirtyTwo]) await session.run(run);
  const used = process.cpuUsage(cpu);
  return [(performance.now() - started) / batch, (used.user + used.system) / 1000 / batch];
}

console.log(
  `# ${machine()}; MiniLM-shaped encoder; ${RUNS * ROUNDS} runs at batch 1 and ${Math.ceil((RUNS * ROUNDS) / 10) * 2} at batch 32 per variant, in blocks taking turns`,
);
const sessions = new Map<string, ort.InferenceSession>();
for (const [name, options] of Object.entries(VARIANTS)) {
  const session = await ort.InferenceSession.create(join(model.dir, 'onnx', 'model.onnx'), options);
  for (let i = 0; i < 5; i++) await measure(session, 1, i);
  await measure(session, 32, 0);
  sessions.set(name, session);
}
sessions.set(SPLIT, sessions.get('runtime') as ort.InferenceSession);
type Samples = { w1: number[]; c1: number[]; w32: number[]; c32: number[] };
const times = new Map<string, Samples>(
  [...sessions.keys()].map((k) => [k, { w1: [], c1: [], w32: [], c32: [] }]),
);
// Variants take turns in short blocks (10 runs at batch 1, then 2 at batch 32), in rotating order, so a load
// that comes and goes on a shared machine falls on all of them alike, and medians of the single runs shrug
// off the runs it hit hardest. A pause before each block lets the previous session's pool threads stop
// spinning (run by run, they spun into the next variant's figures) and a first run warms the weights in the
// caches, as a model serving requests has them.
const names = [...sessions.keys()];
const BLOCK = 10;
for (let block = 0; block < Math.ceil((RUNS * ROUNDS) / BLOCK); block++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(block + k) % names.length] as string;
    const session = sessions.get(name) as ort.InferenceSession;
    const t = times.get(name) as Samples;
    await new Promise((resolve) => setTimeout(resolve, 20));
    await measure(session, 1, 0);
    for (let i = 0; i < BLOCK; i++) {
      const [w1, c1] = await measure(session, 1, i);
      t.w1.push(w1);
      t.c1.push(c1);
    }
    for (let i = 0; i < 2; i++) {
      const [w32, c32] = await measure(session, 32, i, name === SPLIT);
      t.w32.push(w32);
      t.c32.push(c32);
    }
  }
}
const f = (v: number[]) => median(v).toFixed(2);
/** The middle half of the runs: the 25th to the 75th percentile. */
const spread = (v: number[]) => {
  const sorted = [...v].sort((a, b) => a - b);
  const at = (p: number) => (sorted[Math.floor(p * (sorted.length - 1))] as number).toFixed(2);
  return `${at(0.25)}–${at(0.75)}`;
};
console.log(
  '| options | batch 1: wall ms (p25–p75) | CPU ms | batch 32: wall ms per row (p25–p75) | CPU ms per row | batch-1 / batch-32 per row |',
);
console.log('|---|---|---|---|---|---|');
for (const [name, t] of times) {
  console.log(
    `| ${name} | ${f(t.w1)} (${spread(t.w1)}) | ${f(t.c1)} | ${f(t.w32)} (${spread(t.w32)}) | ${f(t.c32)} | ${(median(t.w1) / median(t.w32)).toFixed(2)}x |`,
  );
}
for (const session of new Set(sessions.values())) await session.release();
await model.remove();
