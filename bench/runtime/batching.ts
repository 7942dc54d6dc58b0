/**
 * Throughput at concurrency 32 with dynamic batching (MAX_BATCH_SIZE=32, MAX_BATCH_WAIT_MS=2) against without
 * it (MAX_BATCH_SIZE=1), in one run: the two configurations alternate, `rounds` times each, and the medians are
 * compared. The load comes from a separate process over gRPC (bench/runtime/load.ts).
 *
 * Cases: `minilm`, embeddings from the MiniLM-shaped encoder written at bench time (bench/runtime/minilm.ts),
 * the target's model; `sentiment` and `embedder`, the toy models of models/build (context: their compute is a
 * few µs, so batching cannot show there).
 *
 * Run: node --import tsx bench/runtime/batching.ts [requests per round, default 1000 for minilm and 4000 for
 * the toys] [rounds, default 3] [cases, comma-separated, default minilm,sentiment,embedder] [extra runtime
 * variables as JSON, for both configurations, e.g. '{"INTRA_OP_THREADS":"1"}']
 * @module
 */
import { writeMiniLM } from './minilm.js';
import { load, machine, median, serve, TEXTS } from './serve.js';

const REQUESTS = process.argv[2] ? Number(process.argv[2]) : undefined;
const ROUNDS = Number(process.argv[3] ?? 3);
const SELECTED = (process.argv[4] ?? 'minilm,sentiment,embedder').split(',');
const EXTRA = JSON.parse(process.argv[5] ?? '{}') as Record<string, string>;
const CONCURRENCY = 32;

interface Case {
  readonly task: 'classify' | 'embed';
  /** A models/build name, or a directory. */
  readonly model: string;
  readonly name: string;
  readonly requests: number;
}

const minilm = SELECTED.includes('minilm') ? await writeMiniLM(TEXTS) : undefined;
const CASES: Record<string, Case> = {
  ...(minilm ? { minilm: { task: 'embed', model: minilm.dir, name: 'minilm', requests: 1000 } } : {}),
  sentiment: { task: 'classify', model: 'sentiment-v1', name: 'sentiment', requests: 4000 },
  embedder: { task: 'embed', model: 'sentence-embedder-v1', name: 'sentence-embedder', requests: 4000 },
};

interface Figures {
  rps: number[];
  p50: number[];
  p99: number[];
  rows: number[];
}

/** Mean rows per onnxruntime run, from the runtime's batch-size histogram. */
async function rowsPerRun(served: Awaited<ReturnType<typeof serve>>): Promise<number> {
  const histogram = await served.server.metrics.registry.getSingleMetricAsString('runtime_batch_size');
  return (
    Number(/_sum(?:\{[^}]*\})? (\S+)/.exec(histogram)?.[1]) /
    Number(/_count(?:\{[^}]*\})? (\S+)/.exec(histogram)?.[1])
  );
}

console.log(
  `# ${machine()}; ${ROUNDS} rounds, concurrency ${CONCURRENCY}${Object.keys(EXTRA).length ? `, ${JSON.stringify(EXTRA)}` : ''}`,
);
for (const key of SELECTED) {
  const c = CASES[key];
  if (!c) throw new Error(`unknown case ${key}: minilm, sentiment or embedder`);
  const requests = REQUESTS ?? c.requests;
  const results: Record<'off' | 'on', Figures> = {
    off: { rps: [], p50: [], p99: [], rows: [] },
    on: { rps: [], p50: [], p99: [], rows: [] },
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      const served = await serve(c.model, c.name, {
        MAX_BATCH_SIZE: mode === 'on' ? '32' : '1',
        MAX_BATCH_WAIT_MS: '2',
        MAX_QUEUE_SIZE: '1024',
        ...EXTRA,
      });
      const result = await load({
        address: served.address,
        task: c.task,
        model: c.name,
        concurrency: CONCURRENCY,
        requests,
        texts: TEXTS,
      });
      const r = results[mode];
      r.rps.push(result.rps);
      r.p50.push(result.p50 * 1000);
      r.p99.push(result.p99 * 1000);
      r.rows.push(await rowsPerRun(served));
      await served.stop();
    }
  }
  const { off, on } = results;
  const fmt = (values: number[]) => values.map((v) => v.toFixed(0)).join(' / ');
  const ratios = on.rps.map((v, i) => v / (off.rps[i] as number));
  console.log(`${c.task} (${key}), ${requests} requests per round`);
  console.log(
    `  without batching: ${fmt(off.rps)} req/s (median ${median(off.rps).toFixed(0)}), p50 ${median(off.p50).toFixed(2)} ms, p99 ${median(off.p99).toFixed(2)} ms`,
  );
  console.log(
    `  with batching:    ${fmt(on.rps)} req/s (median ${median(on.rps).toFixed(0)}), p50 ${median(on.p50).toFixed(2)} ms, p99 ${median(on.p99).toFixed(2)} ms, ${median(on.rows).toFixed(1)} rows per run`,
  );
  console.log(
    `  ratio of medians: ${(median(on.rps) / median(off.rps)).toFixed(2)}x; per round ${ratios.map((x) => x.toFixed(2)).join(' / ')}`,
  );
}
await minilm?.remove();
