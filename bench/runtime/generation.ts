/**
 * Generation tokens per second with and without batching of concurrent streams: 16 clients each stream one
 * generation at a time (ModelStreamInfer, greedy, 40 new tokens) from story-writer-v2, against
 * MAX_BATCH_SIZE=16 (continuous batching) and MAX_BATCH_SIZE=1 (one sequence at a time). The two alternate,
 * `rounds` times; medians. The load comes from a separate process.
 *
 * Run: node --import tsx bench/runtime/generation.ts [streams per round, default 160] [rounds, default 3]
 * @module
 */
import { load, machine, median, serve } from './serve.js';

const STREAMS = Number(process.argv[2] ?? 160);
const ROUNDS = Number(process.argv[3] ?? 3);
const CONCURRENCY = 16;
const PROMPTS = [
  'The farmer had three white goats.',
  'Tom had a small red boat.',
  'The old owl lived in a tall tree.',
  'Mia found a shiny key.',
];

console.log(`# ${machine()}; ${STREAMS} streams per round, ${ROUNDS} rounds, ${CONCURRENCY} concurrent`);
const results: Record<string, { tps: number[]; ttft: number[]; rows: number[] }> = {
  off: { tps: [], ttft: [], rows: [] },
  on: { tps: [], ttft: [], rows: [] },
};
for (let round = 0; round < ROUNDS; round++) {
  for (const mode of round % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
    const served = await serve('story-writer-v2', 'story-writer', {
      MAX_BATCH_SIZE: mode === 'on' ? '16' : '1',
    });
    const result = await load({
      address: served.address,
      task: 'stream',
      model: 'story-writer',
      concurrency: CONCURRENCY,
      requests: STREAMS,
      texts: PROMPTS,
      maxTokens: 40,
    });
    const histogram = await served.server.metrics.registry.getSingleMetricAsString('runtime_batch_size');
    const rows = Number(/_sum (\S+)/.exec(histogram)?.[1]) / Number(/_count (\S+)/.exec(histogram)?.[1]);
    const r = results[mode] as (typeof results)['on'];
    r.tps.push(result.tokensPerSecond);
    r.ttft.push(result.firstTokenP50 * 1000);
    r.rows.push(rows);
    await served.stop();
  }
}
const off = results.off as (typeof results)['on'];
const on = results.on as (typeof results)['on'];
const fmt = (values: number[]) => values.map((v) => v.toFixed(0)).join(' / ');
console.log(`story-writer-v2, streaming`);
console.log(
  `  one sequence at a time: ${fmt(off.tps)} tokens/s (median ${median(off.tps).toFixed(0)}), first token p50 ${median(off.ttft).toFixed(1)} ms`,
);
console.log(
  `  continuous batching:    ${fmt(on.tps)} tokens/s (median ${median(on.tps).toFixed(0)}), first token p50 ${median(on.ttft).toFixed(1)} ms, ${median(on.rows).toFixed(1)} sequences per step`,
);
console.log(`  ratio: ${(median(on.tps) / median(off.tps)).toFixed(2)}x`);
