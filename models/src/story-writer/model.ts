/**
 * A GPT-2 (pre-LayerNorm) decoder: parameters named as in Hugging Face's GPT2LMHeadModel, and the
 * training-time forward pass over packed, unpadded windows.
 * @module
 */
import { causalSelfAttention } from '../autograd/attention.js';
import { crossEntropy } from '../autograd/losses.js';
import { add, embedding, gelu, layerNorm, linear, matmulBT } from '../autograd/ops.js';
import { filled, normalInit, type Param, param, type Tape, type Tensor } from '../autograd/tensor.js';
import type { Rng } from '../util/rng.js';

export interface Gpt2Config {
  readonly nLayer: number;
  readonly nHead: number;
  readonly nEmbd: number;
  readonly nPositions: number;
  readonly vocabSize: number;
}

export interface Gpt2Block {
  readonly ln1: [Param, Param];
  readonly attn: [Param, Param];
  readonly proj: [Param, Param];
  readonly ln2: [Param, Param];
  readonly fc: [Param, Param];
  readonly fc2: [Param, Param];
}

export interface Gpt2Params {
  readonly wte: Param;
  readonly wpe: Param;
  readonly blocks: readonly Gpt2Block[];
  readonly lnF: [Param, Param];
  readonly all: readonly Param[];
}

/**
 * GPT-2's initialisation, except the embeddings. At this width std 0.02 makes the tied head's logits
 * nearly zero and the first hundred steps crawl; token std 0.1 measured about twice as fast to the same
 * loss. Position rows start at zero: the model learns only the position signal it needs (causal
 * attention already tells positions apart), which also trained faster, and rows never reached in
 * training stay neutral instead of random.
 */
export function initGpt2(cfg: Gpt2Config, rng: Rng, embedStd = 0.1): Gpt2Params {
  const E = cfg.nEmbd;
  const std = 0.02;
  // GPT-2 scales the residual projections by 1/sqrt(2·layers) so the residual stream starts small.
  const residStd = std / Math.sqrt(2 * cfg.nLayer);
  const norm = (name: string): [Param, Param] => [
    param(`${name}.weight`, [E], filled(E, 1)),
    param(`${name}.bias`, [E], filled(E, 0)),
  ];
  const dense = (name: string, n: [number, number], s: number): [Param, Param] => [
    param(`${name}.weight`, n, normalInit(rng, n[0] * n[1], s)),
    param(`${name}.bias`, [n[1]], filled(n[1], 0)),
  ];
  const wte = param(
    'transformer.wte.weight',
    [cfg.vocabSize, E],
    normalInit(rng, cfg.vocabSize * E, embedStd),
  );
  const wpe = param('transformer.wpe.weight', [cfg.nPositions, E], filled(cfg.nPositions * E, 0));
  const blocks: Gpt2Block[] = [];
  for (let l = 0; l < cfg.nLayer; l++) {
    const p = `transformer.h.${l}`;
    blocks.push({
      ln1: norm(`${p}.ln_1`),
      attn: dense(`${p}.attn.c_attn`, [E, 3 * E], std),
      proj: dense(`${p}.attn.c_proj`, [E, E], residStd),
      ln2: norm(`${p}.ln_2`),
      fc: dense(`${p}.mlp.c_fc`, [E, 4 * E], std),
      fc2: dense(`${p}.mlp.c_proj`, [4 * E, E], residStd),
    });
  }
  const lnF = norm('transformer.ln_f');
  const all = [
    wte,
    wpe,
    ...blocks.flatMap((b) => [...b.ln1, ...b.attn, ...b.proj, ...b.ln2, ...b.fc, ...b.fc2]),
    ...lnF,
  ];
  return { wte, wpe, blocks, lnF, all };
}

export interface Windows {
  /** batch·seq token ids, row-major */
  readonly ids: Int32Array;
  readonly batch: number;
  readonly seq: number;
}

/** Logits [batch·seq, vocab] for windows whose positions all start at 0. */
export function gpt2Logits(tape: Tape, p: Gpt2Params, cfg: Gpt2Config, w: Windows): Tensor {
  const positions = new Int32Array(w.batch * w.seq);
  for (let i = 0; i < positions.length; i++) positions[i] = i % w.seq;
  let x = add(tape, embedding(tape, p.wte.t, w.ids), embedding(tape, p.wpe.t, positions));
  for (const b of p.blocks) {
    const h = layerNorm(tape, x, b.ln1[0].t, b.ln1[1].t);
    const qkv = linear(tape, h, b.attn[0].t, b.attn[1].t);
    const a = causalSelfAttention(tape, qkv, { batch: w.batch, seq: w.seq, heads: cfg.nHead });
    x = add(tape, x, linear(tape, a, b.proj[0].t, b.proj[1].t));
    const h2 = layerNorm(tape, x, b.ln2[0].t, b.ln2[1].t);
    const m = linear(tape, gelu(tape, linear(tape, h2, b.fc[0].t, b.fc[1].t)), b.fc2[0].t, b.fc2[1].t);
    x = add(tape, x, m);
  }
  const f = layerNorm(tape, x, p.lnF[0].t, p.lnF[1].t);
  return matmulBT(tape, f, p.wte.t);
}

/** Mean next-token cross-entropy; `targets` holds -1 where a position has no next token. */
export function gpt2Loss(
  tape: Tape,
  p: Gpt2Params,
  cfg: Gpt2Config,
  w: Windows,
  targets: Int32Array,
): Tensor {
  return crossEntropy(tape, gpt2Logits(tape, p, cfg, w), targets);
}
