/**
 * Drives a GPT-2 style ONNX model with plain onnxruntime-node: full passes, KV-cached steps, left
 * padding, and a greedy decoder, the way transformers.js feeds it.
 */
import * as ort from 'onnxruntime-node';
import { readJson } from './artifacts.js';

export interface Gpt2Json {
  readonly n_layer: number;
  readonly n_head: number;
  readonly n_embd: number;
  readonly n_positions: number;
  readonly vocab_size: number;
  readonly eos_token_id: number;
}

export interface Lm {
  readonly session: ort.InferenceSession;
  readonly cfg: Gpt2Json;
}

export async function loadLm(dir: string): Promise<Lm> {
  const cfg = readJson<Gpt2Json>(`${dir}/config.json`);
  return { session: await ort.InferenceSession.create(`${dir}/onnx/model.onnx`), cfg };
}

export function loadLmBytes(bytes: Uint8Array, cfg: Gpt2Json): Promise<Lm> {
  return ort.InferenceSession.create(bytes).then((session) => ({ session, cfg }));
}

function i64(rows: readonly (readonly number[])[]): ort.Tensor {
  return new ort.Tensor('int64', BigInt64Array.from(rows.flat().map(BigInt)), [rows.length, rows[0]!.length]);
}

export type Past = Record<string, ort.Tensor>;

export interface Step {
  /** [batch, seq, vocab] */
  readonly logits: Float32Array;
  readonly seq: number;
  /** present.* renamed to past_key_values.* for the next call */
  readonly past: Past;
}

/** One forward call; without `past` it is a full pass with an empty cache. */
export async function run(
  lm: Lm,
  ids: number[][],
  mask: number[][],
  positions: number[][],
  past?: Past,
): Promise<Step> {
  const { n_layer: L, n_head: H, n_embd: E } = lm.cfg;
  const feeds: Record<string, ort.Tensor> = { input_ids: i64(ids), attention_mask: i64(mask) };
  // Decoders with ALiBi positions (the story writers) take no position_ids, as BLOOM and MPT exports.
  if (lm.session.inputNames.includes('position_ids')) feeds.position_ids = i64(positions);
  for (let l = 0; l < L; l++) {
    for (const kind of ['key', 'value']) {
      const name = `past_key_values.${l}.${kind}`;
      feeds[name] = past?.[name] ?? new ort.Tensor('float32', new Float32Array(0), [ids.length, H, 0, E / H]);
    }
  }
  const out = await lm.session.run(feeds);
  const next: Past = {};
  for (const [k, v] of Object.entries(out))
    if (k.startsWith('present.')) next[k.replace('present.', 'past_key_values.')] = v;
  return { logits: out.logits!.data as Float32Array, seq: ids[0]!.length, past: next };
}

/** Logits of batch row b at position t. */
export function row(step: Step, vocab: number, b: number, t: number): Float32Array {
  const o = (b * step.seq + t) * vocab;
  return step.logits.subarray(o, o + vocab);
}

export function argmax(v: Float32Array): number {
  let best = 0;
  for (let i = 1; i < v.length; i++) if (v[i]! > v[best]!) best = i;
  return best;
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/**
 * Greedy decoding with the KV cache, stopping at end-of-text or at any of `stopIds`; returns the new
 * ids only (without the stop token).
 */
export async function greedy(
  lm: Lm,
  prompt: readonly number[],
  maxNew: number,
  stopIds: readonly number[] = [lm.cfg.eos_token_id],
): Promise<number[]> {
  const V = lm.cfg.vocab_size;
  const ids = [...prompt];
  let step = await run(lm, [ids], [ids.map(() => 1)], [ids.map((_, i) => i)]);
  const out: number[] = [];
  for (let n = 0; n < maxNew; n++) {
    const next = argmax(row(step, V, 0, step.seq - 1));
    if (stopIds.includes(next)) break;
    out.push(next);
    ids.push(next);
    step = await run(lm, [[next]], [ids.map(() => 1)], [[ids.length - 1]], step.past);
  }
  return out;
}
