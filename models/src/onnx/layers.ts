/**
 * Graph fragments shared by the exported models. Each mirrors one autograd op in ../autograd, so the
 * exported graph computes the function that was trained (a test compares the two numerically).
 * @module
 */
import type { Param } from '../autograd/tensor.js';
import type { GraphBuilder } from './graph.js';
import { DataType } from './schema.js';

export function weight(g: GraphBuilder, p: Param): string {
  return g.weight(p.name, p.t.data, p.t.shape);
}

/** x · W + b over the last axis (MatMul broadcasts the leading axes). */
export function linear(g: GraphBuilder, x: string, w: Param, b: Param | null): string {
  const y = g.op('MatMul', [x, weight(g, w)]);
  return b ? g.op('Add', [y, weight(g, b)]) : y;
}

export function layerNorm(g: GraphBuilder, x: string, gamma: Param, beta: Param): string {
  return g.op('LayerNormalization', [x, weight(g, gamma), weight(g, beta)], { axis: -1, epsilon: 1e-5 });
}

/** 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), spelled out because opset 17 has no Gelu. */
export function geluTanh(g: GraphBuilder, x: string): string {
  const x3 = g.op('Mul', [g.op('Mul', [x, x]), x]);
  const inner = g.op('Add', [x, g.op('Mul', [x3, g.constFloat(0.044715)])]);
  const t = g.op('Tanh', [g.op('Mul', [inner, g.constFloat(Math.sqrt(2 / Math.PI))])]);
  return g.op('Mul', [g.op('Mul', [x, g.constFloat(0.5)]), g.op('Add', [t, g.constFloat(1)])]);
}

/** [B,S] int64 mask -> [B,S,1] float, for masking and pooling over the sequence axis. */
export function maskColumn(g: GraphBuilder, attentionMask: string): string {
  const f = g.op('Cast', [attentionMask], { to: 1 });
  return g.op('Unsqueeze', [f, g.constInt64([-1])]);
}

/**
 * [batch,1,seq,total] bool of a decoder step: key j is visible to query i when j <= past+i and
 * attention_mask[b,j] is 1 (past = total - seq), so left-padded rows and cached steps need no other input.
 */
export function causalVisibility(g: GraphBuilder, inputIds: string, attentionMask: string): string {
  const one = g.constInt64([1], []);
  const seqLen = g.op('Gather', [g.op('Shape', [inputIds]), one], { axis: 0 });
  const total = g.op('Gather', [g.op('Shape', [attentionMask]), one], { axis: 0 });
  const queryPos = g.op('Range', [g.op('Sub', [total, seqLen]), total, one]);
  const keyPos = g.op('Range', [g.constInt64([0], []), total, one]);
  const causal = g.op('LessOrEqual', [
    g.op('Unsqueeze', [keyPos, g.constInt64([0])]),
    g.op('Unsqueeze', [queryPos, g.constInt64([1])]),
  ]);
  const padOk = g.op('Unsqueeze', [
    g.op('Cast', [attentionMask], { to: DataType.BOOL }),
    g.constInt64([1, 2]),
  ]);
  return g.op('And', [causal, padOk]);
}
