/**
 * Load generator for the runtime benchmarks, run as its own process (as a router would be) so its gRPC work
 * does not share the runtime's event loop: `node --import tsx bench/runtime/load.ts <json>` prints one JSON
 * line with requests per second and latency percentiles.
 *
 * Input: `{ address, task: 'classify' | 'embed' | 'generate' | 'stream', model, concurrency, requests, texts,
 * maxTokens? }`. Every worker sends one request at a time (closed loop), cycling through the texts.
 * @module
 */
import { RuntimeClient } from '../../runtime/src/client/index.js';

interface LoadSpec {
  readonly address: string;
  readonly task: 'classify' | 'embed' | 'generate' | 'stream';
  readonly model: string;
  readonly concurrency: number;
  readonly requests: number;
  readonly texts: readonly string[];
  readonly maxTokens?: number;
}

const spec = JSON.parse(process.argv[2] as string) as LoadSpec;
const client = new RuntimeClient(spec.address);

/** One request; resolves with [completion tokens, seconds to the first token]. */
async function once(text: string): Promise<[number, number]> {
  const started = performance.now();
  if (spec.task === 'classify') await client.classify({ model: spec.model, texts: [text] });
  else if (spec.task === 'embed') await client.embed({ model: spec.model, texts: [text] });
  else if (spec.task === 'generate') {
    const out = await client.generate({
      model: spec.model,
      prompt: text,
      maxTokens: spec.maxTokens,
      temperature: 0,
    });
    return [out.completionTokens, (performance.now() - started) / 1000];
  } else {
    let first = 0;
    let tokens = 0;
    for await (const chunk of client.generateStream({
      model: spec.model,
      prompt: text,
      maxTokens: spec.maxTokens,
      temperature: 0,
    })) {
      first ||= (performance.now() - started) / 1000;
      tokens = chunk.completionTokens ?? tokens;
    }
    return [tokens, first];
  }
  return [0, (performance.now() - started) / 1000];
}

async function run(count: number) {
  const latencies: number[] = [];
  const firsts: number[] = [];
  let tokens = 0;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: spec.concurrency }, async () => {
      for (let i = next++; i < count; i = next++) {
        const t0 = performance.now();
        const [n, first] = await once(spec.texts[i % spec.texts.length] as string);
        latencies.push((performance.now() - t0) / 1000);
        firsts.push(first);
        tokens += n;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  firsts.sort((a, b) => a - b);
  const pct = (list: number[], p: number) =>
    list[Math.min(list.length - 1, Math.floor(p * list.length))] ?? 0;
  return {
    requests: count,
    seconds,
    rps: count / seconds,
    tokensPerSecond: tokens / seconds,
    p50: pct(latencies, 0.5),
    p99: pct(latencies, 0.99),
    firstTokenP50: pct(firsts, 0.5),
  };
}

await run(Math.max(spec.concurrency * 4, Math.floor(spec.requests / 10))); // warm-up: JIT, connections
console.log(JSON.stringify(await run(spec.requests)));
client.close();
