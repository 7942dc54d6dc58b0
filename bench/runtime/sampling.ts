/**
 * Cost of choosing one token from a Qwen-sized vocabulary (151,936 logits) with `sampleToken`, per
 * (temperature, top_k, top_p), for two kinds of random logits: peaked (normal, standard deviation 3: the top-p
 * set is a few thousand tokens, closer to a language model's) and flat (normal, standard deviation 1: the top-p
 * set is most of the vocabulary, the worst case). Prints ms per token.
 *
 *   node --import tsx bench/runtime/sampling.ts [tokens]
 * @module
 */
import { createRandom } from '../../runtime/src/engine/prng.js';
import { type SamplingOptions, sampleToken, topIds } from '../../runtime/src/engine/sampling.js';

const VOCABULARY = 151_936;
const tokens = Number(process.argv[2] ?? 20);
const random = createRandom(42n);

/** Normal logits (Box-Muller) with the given standard deviation. */
function logits(spread: number): Float32Array {
  const out = new Float32Array(VOCABULARY);
  for (let i = 0; i < out.length; i++) {
    const u = 1 - random();
    out[i] = spread * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  }
  return out;
}

const settings: [string, SamplingOptions][] = [
  ['top_k 20, top_p 0.8 (Qwen2.5 default)', { temperature: 0.7, topK: 20, topP: 0.8 }],
  ['top_k 50, top_p 0.9', { temperature: 1, topK: 50, topP: 0.9 }],
  ['top_k 0, top_p 0.9', { temperature: 1, topK: 0, topP: 0.9 }],
  ['top_k 0, top_p 1 (temperature only)', { temperature: 1, topK: 0, topP: 1 }],
];

for (const [kind, spread] of [
  ['peaked (sd 3)', 3],
  ['flat (sd 1)', 1],
] as const) {
  const rows = Array.from({ length: tokens }, () => logits(spread));
  const draw = createRandom(7n);
  for (const [name, options] of settings) {
    sampleToken(rows[0] as Float32Array, options, draw); // warm-up
    const started = performance.now();
    for (const row of rows) sampleToken(row, options, draw);
    const ms = (performance.now() - started) / rows.length;
    console.log(`${kind.padEnd(14)} ${name.padEnd(38)} ${ms.toFixed(2)} ms/token`);
  }
  const started = performance.now();
  for (const row of rows) topIds(row, 50);
  console.log(
    `${kind.padEnd(14)} ${'topIds(logits, 50)'.padEnd(38)} ${((performance.now() - started) / rows.length).toFixed(2)} ms/token`,
  );
}
