/**
 * Generation tokens per second with and without batching of concurrent streams: 16 clients each stream one
 * generation at a time (ModelStreamInfer, greedy, 40 new tokens), against MAX_BATCH_SIZE=16 (continuous
 * batching) and MAX_BATCH_SIZE=1 (one sequence at a time). The two alternate, `rounds` times; medians. The load
 * comes from a separate process.
 *
 * Cases: `decoder4`, the 4-layer Qwen2-layout decoder written at bench time (bench/runtime/decoder.ts);
 * `story-writer`, the 2-layer example model of models/build (context).
 *
 * Run: node --import tsx bench/runtime/generation.ts [streams per round, default 160] [rounds, default 3]
 * [cases, default decoder4,story-writer]
 * @module
 */
import { writeDecoder } from './decoder.js';
import { load, machine, median, serve } from './serve.js';

const STREAMS = Number(process.argv[2] ?? 160);
const ROUNDS = Number(process.argv[3] ?? 3);
const SELECTED = (process.argv[4] ?? 'decoder4,story-writer').split(',');
const CONCURRENCY = 16;
const PROMPTS = [
  'The farmer had three white goats.',
  'Tom had a small red boat.',
  'The old owl lived in a tall tree.',
  'Mia found a shiny key.',
];

const decoder = SELECTED.includes('decoder4') ? await writeDecoder() : undefined;
const CASES: Record<string, string> = {
  ...(decoder ? { decoder4: decoder.dir } : {}),
  'story-writer': 'story-writer-v2',
};

console.log(`# ${machine()}; ${STREAMS} streams per round, ${ROUNDS} rounds, ${CONCURRENCY} concurrent`);
for (const name of SELECTED) {
  const model = CASES[name];
  if (!model) throw new Error(`unknown case ${name}: decoder4 or story-writer`);
  const results: Record<'off' | 'on', { tps: number[]; ttft: number[]; rows: number[] }> = {
    off: { tps: [], ttft: [], rows: [] },
    on: { tps: [], ttft: [], rows: [] },
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      const served = await serve(model, name, { MAX_BATCH_SIZE: mode === 'on' ? '16' : '1' });
      const result = await load({
        address: served.address,
        task: 'stream',
        model: name,
        concurrency: CONCURRENCY,
        requests: STREAMS,
        texts: PROMPTS,
        maxTokens: 40,
      });
      const histogram = await served.server.metrics.registry.getSingleMetricAsString('runtime_batch_size');
      const rows =
        Number(/_sum(?:\{[^}]*\})? (\S+)/.exec(histogram)?.[1]) /
        Number(/_count(?:\{[^}]*\})? (\S+)/.exec(histogram)?.[1]);
      const r = results[mode];
      r.tps.push(result.tokensPerSecond);
      r.ttft.push(result.firstTokenP50 * 1000);
      r.rows.push(rows);
      await served.stop();
    }
  }
  const { off, on } = results;
  const fmt = (values: number[]) => values.map((v) => v.toFixed(0)).join(' / ');
  console.log(`${name}, streaming`);
  console.log(
    `  one sequence at a time: ${fmt(off.tps)} tokens/s (median ${median(off.tps).toFixed(0)}), first token p50 ${median(off.ttft).toFixed(1)} ms`,
  );
  console.log(
    `  continuous batching:    ${fmt(on.tps)} tokens/s (median ${median(on.tps).toFixed(0)}), first token p50 ${median(on.ttft).toFixed(1)} ms, ${median(on.rows).toFixed(1)} sequences per step`,
  );
  console.log(`  ratio of medians: ${(median(on.tps) / median(off.tps)).toFixed(2)}x`);
}
await decoder?.remove();
