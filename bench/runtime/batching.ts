/**
 * Throughput of classification and embedding at concurrency 32, with dynamic batching (MAX_BATCH_SIZE=32,
 * MAX_BATCH_WAIT_MS=2) against without it (MAX_BATCH_SIZE=1), in one run: the two configurations alternate,
 * `rounds` times each, and the medians are compared. The load comes from a separate process over gRPC.
 *
 * Run: node --import tsx bench/runtime/batching.ts [requests per round, default 4000] [rounds, default 3]
 * @module
 */
import { load, machine, median, serve, TEXTS } from './serve.js';

const REQUESTS = Number(process.argv[2] ?? 4000);
const ROUNDS = Number(process.argv[3] ?? 3);
const CONCURRENCY = 32;

const CASES = [
  { task: 'classify', model: 'sentiment-v1', name: 'sentiment' },
  { task: 'embed', model: 'sentence-embedder-v1', name: 'sentence-embedder' },
] as const;

console.log(`# ${machine()}; ${REQUESTS} requests per round, ${ROUNDS} rounds, concurrency ${CONCURRENCY}`);
for (const c of CASES) {
  const results: Record<string, { rps: number[]; p50: number[]; p99: number[]; rows: number[] }> = {
    off: { rps: [], p50: [], p99: [], rows: [] },
    on: { rps: [], p50: [], p99: [], rows: [] },
  };
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of round % 2 === 0 ? ['off', 'on'] : ['on', 'off']) {
      const served = await serve(c.model, c.name, {
        MAX_BATCH_SIZE: mode === 'on' ? '32' : '1',
        MAX_BATCH_WAIT_MS: '2',
        MAX_QUEUE_SIZE: '1024',
      });
      const result = await load({
        address: served.address,
        task: c.task,
        model: c.name,
        concurrency: CONCURRENCY,
        requests: REQUESTS,
        texts: TEXTS,
      });
      const histogram = await served.server.metrics.registry.getSingleMetricAsString('runtime_batch_size');
      const sum = Number(/_sum (\S+)/.exec(histogram)?.[1]);
      const count = Number(/_count (\S+)/.exec(histogram)?.[1]);
      const r = results[mode] as (typeof results)['on'];
      r.rps.push(result.rps);
      r.p50.push(result.p50 * 1000);
      r.p99.push(result.p99 * 1000);
      r.rows.push(sum / count);
      await served.stop();
    }
  }
  const off = results.off as (typeof results)['on'];
  const on = results.on as (typeof results)['on'];
  const fmt = (values: number[]) => values.map((v) => v.toFixed(0)).join(' / ');
  console.log(`${c.task} (${c.model})`);
  console.log(
    `  without batching: ${fmt(off.rps)} req/s (median ${median(off.rps).toFixed(0)}), p50 ${median(off.p50).toFixed(2)} ms, p99 ${median(off.p99).toFixed(2)} ms`,
  );
  console.log(
    `  with batching:    ${fmt(on.rps)} req/s (median ${median(on.rps).toFixed(0)}), p50 ${median(on.p50).toFixed(2)} ms, p99 ${median(on.p99).toFixed(2)} ms, ${median(on.rows).toFixed(1)} rows per run`,
  );
  console.log(`  ratio: ${(median(on.rps) / median(off.rps)).toFixed(2)}x`);
}
