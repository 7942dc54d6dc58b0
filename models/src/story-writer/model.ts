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
  /**
   * Each token attends to itself and the attentionWindow - 1 tokens before it (a sliding window, as in
   * Mistral's `sliding_window`); absent, to every earlier token. Trained on windows of this many tokens,
   * a model then sees at every position of its context what it saw in training.
   */
  readonly attentionWindow?: number;
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
  readonly blocks: readonly Gpt2Block[];
  readonly lnF: [Param, Param];
  readonly all: readonly Param[];
}

/**
 * ALiBi slopes (Press et al., as BLOOM and MPT use them), steeper than theirs: head h of H gets
 * 2^(-2(h+1)/H) where ALiBi has 2^(-8(h+1)/H). A model this small relies on the last few tokens, and with
 * ALiBi's own slopes (0.06 and 0.004 for two heads) story-writer-v1 continued 6 of the 16 story openings
 * instead of 12.
 */
export function alibiSlopes(heads: number): number[] {
  return Array.from({ length: heads }, (_, h) => 2 ** ((-2 * (h + 1)) / heads));
}

/**
 * GPT-2's initialisation, except the token embeddings: at this width std 0.02 makes the tied head's
 * logits nearly zero and the first hundred steps crawl; std 0.1 measured about twice as fast to the same
 * loss. There are no position embeddings: attention carries ALiBi's recency bias instead, which is the
 * same at every position, so a context longer than the training windows holds no untrained rows.
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
    ...blocks.flatMap((b) => [...b.ln1, ...b.attn, ...b.proj, ...b.ln2, ...b.fc, ...b.fc2]),
    ...lnF,
  ];
  return { wte, blocks, lnF, all };
}

export interface Windows {
  /** batch·seq token ids, row-major */
  readonly ids: Int32Array;
  readonly batch: number;
  readonly seq: number;
}

/** Logits [batch·seq, vocab]. */
export function gpt2Logits(tape: Tape, p: Gpt2Params, cfg: Gpt2Config, w: Windows): Tensor {
  const slopes = alibiSlopes(cfg.nHead);
  let x = embedding(tape, p.wte.t, w.ids);
  for (const b of p.blocks) {
    const h = layerNorm(tape, x, b.ln1[0].t, b.ln1[1].t);
    const qkv = linear(tape, h, b.attn[0].t, b.attn[1].t);
    const a = causalSelfAttention(tape, qkv, { batch: w.batch, seq: w.seq, heads: cfg.nHead, slopes });
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
