/**
 * Runtime overhead at batch size 1 against calling onnxruntime-node directly on the same model in the same
 * process, one request at a time:
 *   direct   tokenizer (transformers.js, as the runtime uses) + int64 tensors + session.run + softmax/pooling
 *   engine   the runtime's LoadedModel.classify/embed (tokenize, context check, batcher at MAX_BATCH_SIZE=1,
 *            padding, run, softmax/pooling): the runtime's own cost, without the network
 *   grpc     RuntimeClient over loopback gRPC to a RuntimeServer in the same process: what a caller sees
 * plus `ort`, session.run alone on prepared tensors, at batch 1 and per row at batch 32, to show what the
 * model itself costs and what batching can save of it. The variants alternate, `rounds` times; medians of
 * CPU µs per call (the gRPC figure includes the client's work, as both live in this process).
 *
 * Cases: `minilm`, embeddings from the MiniLM-shaped encoder written at bench time (bench/runtime/minilm.ts),
 * the target's model (calls per round divided by 20: a call costs milliseconds); `sentiment` and `embedder`,
 * the toy models of models/build.
 *
 * Run: node --import tsx bench/runtime/overhead.ts [calls per round, default 2000] [rounds, default 5]
 * [cases, default minilm,sentiment,embedder]
 * @module
 */
import { isAbsolute, join } from 'node:path';
import { AutoTokenizer } from '@huggingface/transformers';
import * as ort from 'onnxruntime-node';
import { RuntimeClient } from '../../runtime/src/client/index.js';
import { l2Normalize, meanPool, softmax } from '../../runtime/src/engine/vectors.js';
import { writeMiniLM } from './minilm.js';
import { MODELS, machine, median, serve, TEXTS } from './serve.js';

const CALLS = Number(process.argv[2] ?? 2000);
const ROUNDS = Number(process.argv[3] ?? 5);
const SELECTED = (process.argv[4] ?? 'minilm,sentiment,embedder').split(',');

/**
 * µs per call, as CPU time of this process (user + system): on a shared 2-core machine wall time also counts
 * waiting for a core, which made wall-clock figures swing by ±30 % between runs. onnxruntime runs on one thread
 * here (INTRA_OP_THREADS=1 for both sides), so no idle thread pool spins into the figure.
 */
async function timePerCall(calls: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  const started = process.cpuUsage();
  for (let i = 0; i < calls; i++) await fn(i);
  const used = process.cpuUsage(started);
  return (used.user + used.system) / calls;
}

const feedsOf = (session: ort.InferenceSession, rows: number[][]) => {
  const length = Math.max(...rows.map((r) => r.length));
  const ids = new BigInt64Array(rows.length * length);
  const mask = new BigInt64Array(rows.length * length);
  rows.forEach((row, r) => {
    row.forEach((id, t) => {
      ids[r * length + t] = BigInt(id);
      mask[r * length + t] = 1n;
    });
  });
  const dims = [rows.length, length];
  const all: Record<string, ort.Tensor> = {
    input_ids: new ort.Tensor('int64', ids, dims),
    attention_mask: new ort.Tensor('int64', mask, dims),
    token_type_ids: new ort.Tensor('int64', new BigInt64Array(rows.length * length), dims),
  };
  return { feeds: Object.fromEntries(session.inputNames.map((n) => [n, all[n] as ort.Tensor])), mask };
};

interface Case {
  /** A models/build name, or a directory. */
  readonly model: string;
  readonly name: string;
  readonly task: 'classify' | 'embed';
  readonly calls: number;
}

const minilm = SELECTED.includes('minilm') ? await writeMiniLM(TEXTS) : undefined;
const CASES: Record<string, Case> = {
  ...(minilm
    ? { minilm: { model: minilm.dir, name: 'minilm', task: 'embed', calls: Math.ceil(CALLS / 20) } }
    : {}),
  sentiment: { model: 'sentiment-v1', name: 'sentiment', task: 'classify', calls: CALLS },
  embedder: { model: 'sentence-embedder-v1', name: 'sentence-embedder', task: 'embed', calls: CALLS },
};

console.log(`# ${machine()}; ${ROUNDS} rounds`);
for (const key of SELECTED) {
  const c = CASES[key];
  if (!c) throw new Error(`unknown case ${key}: minilm, sentiment or embedder`);
  const { model, name, task, calls: CALLS } = c;
  const dir = isAbsolute(model) ? model : join(MODELS, model);
  const session = await ort.InferenceSession.create(join(dir, 'onnx/model.onnx'), {
    executionProviders: ['cpu'],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: 1,
  });
  const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
  const output = task === 'classify' ? 'logits' : 'last_hidden_state';
  const direct = async (i: number) => {
    const ids = tokenizer.encode(TEXTS[i % TEXTS.length] as string);
    const { feeds, mask } = feedsOf(session, [ids]);
    const out = (await session.run(feeds, [output]))[output] as ort.Tensor;
    const data = out.data as Float32Array;
    return task === 'classify' ? softmax(data) : l2Normalize(meanPool(data, mask, out.dims[2] as number));
  };
  const served = await serve(model, name, { MAX_BATCH_SIZE: '1', INTRA_OP_THREADS: '1' });
  const loaded = served.server.manager.model!;
  const engine = (i: number) =>
    task === 'classify'
      ? loaded.classify([TEXTS[i % TEXTS.length] as string])
      : loaded.embed([TEXTS[i % TEXTS.length] as string], true);
  const client = new RuntimeClient(served.address);
  const grpc = (i: number) =>
    task === 'classify'
      ? client.classify({ model: name, texts: [TEXTS[i % TEXTS.length] as string] })
      : client.embed({ model: name, texts: [TEXTS[i % TEXTS.length] as string] });
  const one = feedsOf(session, [tokenizer.encode(TEXTS[0] as string)]).feeds;
  const batch = feedsOf(
    session,
    Array.from({ length: 32 }, (_, i) => tokenizer.encode(TEXTS[i % TEXTS.length] as string)),
  ).feeds;
  const variants: Record<string, (i: number) => Promise<unknown>> = {
    direct,
    engine,
    grpc,
    ort1: () => session.run(one, [output]),
    ort32: () => session.run(batch, [output]),
  };
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(variants).map((k) => [k, []]));
  for (const fn of Object.values(variants)) await timePerCall(Math.ceil(CALLS / 4), fn); // warm-up
  for (let round = 0; round < ROUNDS; round++) {
    const order = Object.keys(variants);
    if (round % 2) order.reverse();
    for (const key of order) {
      const calls = key === 'ort32' ? Math.ceil(CALLS / 8) : CALLS;
      times[key]?.push(await timePerCall(calls, variants[key] as (i: number) => Promise<unknown>));
    }
  }
  const m = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)])) as Record<
    string,
    number
  >;
  const pct = (a: number, b: number) => `${(((a - b) / b) * 100).toFixed(1)}%`;
  console.log(`${task} (${key}), ${CALLS} calls per round, CPU µs per call (median of ${ROUNDS}):`);
  console.log(`  direct onnxruntime-node + tokenizer  ${m.direct?.toFixed(1)}`);
  console.log(
    `  runtime engine (in process)          ${m.engine?.toFixed(1)}  overhead ${pct(m.engine as number, m.direct as number)}`,
  );
  console.log(
    `  runtime over loopback gRPC           ${m.grpc?.toFixed(1)}  overhead ${pct(m.grpc as number, m.direct as number)}`,
  );
  console.log(`  session.run alone, batch 1           ${m.ort1?.toFixed(1)}`);
  console.log(`  session.run alone, batch 32, per row ${((m.ort32 as number) / 32).toFixed(1)}`);
  client.close();
  await served.stop();
  await session.release();
}
await minilm?.remove();
