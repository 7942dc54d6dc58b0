/**
 * Exports a trained GPT-2 as ONNX in the layout transformers.js and Optimum use for decoders with a KV
 * cache: past_key_values.{i}.key/value in, present.{i}.key/value out, the causal, padding and sliding-window
 * masks and the ALiBi distances built inside the graph from attention_mask, so left-padded batches and
 * cached steps need no extra inputs. With ALiBi there is no position_ids input, as in BLOOM exports.
 * @module
 */
import { GraphBuilder } from '../onnx/graph.js';
import { geluTanh, layerNorm, linear, weight } from '../onnx/layers.js';
import { DataType } from '../onnx/schema.js';
import { alibiSlopes, type Gpt2Block, type Gpt2Config, type Gpt2Params } from './model.js';

const BATCH = 'batch_size';

interface Masks {
  /** [batch,1,seq,total] bool: which keys each query may attend to */
  readonly visible: string;
  /** [batch,1,seq,total] float: query index - key index, counting unmasked tokens only */
  readonly distance: string;
}

/**
 * Key j is visible to query i when j <= past+i, attention_mask[b,j] is 1 and, with an attention window
 * W, the distance is below W. Distances count unmasked tokens only, so a padded row, or one with masked
 * tokens in its past, sees the same keys at the same distances as its text alone.
 */
function masks(g: GraphBuilder, inputIds: string, attentionMask: string, window?: number): Masks {
  const one = g.constInt64([1], []);
  const seqLen = g.op('Gather', [g.op('Shape', [inputIds]), one], { axis: 0 });
  const total = g.op('Gather', [g.op('Shape', [attentionMask]), one], { axis: 0 });
  const past = g.op('Sub', [total, seqLen]);
  const queryPos = g.op('Range', [past, total, one]);
  const keyPos = g.op('Range', [g.constInt64([0], []), total, one]);
  const causal = g.op('LessOrEqual', [
    g.op('Unsqueeze', [keyPos, g.constInt64([0])]),
    g.op('Unsqueeze', [queryPos, g.constInt64([1])]),
  ]);
  const padOk = g.op('Unsqueeze', [
    g.op('Cast', [attentionMask], { to: DataType.BOOL }),
    g.constInt64([1, 2]),
  ]);
  let visible = g.op('And', [causal, padOk]);
  // Each token's index among the unmasked tokens; the queries are the last seq slots.
  const index = g.op('CumSum', [attentionMask, one]);
  const queryIndex = g.op('Slice', [
    index,
    g.op('Unsqueeze', [past, g.constInt64([0])]),
    g.op('Unsqueeze', [total, g.constInt64([0])]),
    g.constInt64([1]),
  ]);
  const distance = g.op('Sub', [
    g.op('Unsqueeze', [queryIndex, g.constInt64([1, 3])]),
    g.op('Unsqueeze', [index, g.constInt64([1, 2])]),
  ]);
  if (window !== undefined)
    visible = g.op('And', [visible, g.op('Less', [distance, g.constInt64([window], [])])]);
  return { visible, distance: g.op('Cast', [distance], { to: DataType.FLOAT }) };
}

interface BlockIo {
  readonly index: number;
  readonly masks: Masks;
  /** [1,heads,1,1]: minus each head's ALiBi slope */
  readonly negSlopes: string;
}

function splitHeads(g: GraphBuilder, x: string, cfg: Gpt2Config): string {
  const d = cfg.nEmbd / cfg.nHead;
  return g.op('Transpose', [g.op('Reshape', [x, g.constInt64([0, 0, cfg.nHead, d])])], {
    perm: [0, 2, 1, 3],
  });
}

function attention(g: GraphBuilder, x: string, b: Gpt2Block, cfg: Gpt2Config, io: BlockIo): string {
  const E = cfg.nEmbd;
  const d = E / cfg.nHead;
  const qkv = linear(g, layerNorm(g, x, ...b.ln1), ...b.attn);
  const [q, k, v] = g.node('Split', [qkv, g.constInt64([E, E, E])], { axis: 2 }, 3) as [
    string,
    string,
    string,
  ];
  const pastK = g.input(`past_key_values.${io.index}.key`, DataType.FLOAT, [
    BATCH,
    cfg.nHead,
    'past_sequence_length',
    d,
  ]);
  const pastV = g.input(`past_key_values.${io.index}.value`, DataType.FLOAT, [
    BATCH,
    cfg.nHead,
    'past_sequence_length',
    d,
  ]);
  const keys = g.op('Concat', [pastK, splitHeads(g, k, cfg)], { axis: 2 }, `present.${io.index}.key`);
  const values = g.op('Concat', [pastV, splitHeads(g, v, cfg)], { axis: 2 }, `present.${io.index}.value`);
  const scores = g.op('Add', [
    g.op('Mul', [
      g.op('MatMul', [splitHeads(g, q, cfg), g.op('Transpose', [keys], { perm: [0, 1, 3, 2] })]),
      g.constFloat(1 / Math.sqrt(d)),
    ]),
    g.op('Mul', [io.masks.distance, io.negSlopes]),
  ]);
  // A large finite negative rather than -inf: a fully masked row (a left pad) then gets a uniform,
  // finite softmax instead of NaN, and it never leaks into real positions, which mask pads out.
  const probs = g.op('Softmax', [g.op('Where', [io.masks.visible, scores, g.constFloat(-1e9)])], {
    axis: -1,
  });
  const ctx = g.op('Transpose', [g.op('MatMul', [probs, values])], { perm: [0, 2, 1, 3] });
  const merged = g.op('Reshape', [ctx, g.constInt64([0, 0, E])]);
  return linear(g, merged, ...b.proj);
}

/** The serialised model.onnx for trained parameters. */
export function exportGpt2(p: Gpt2Params, cfg: Gpt2Config, docString: string): Uint8Array {
  const g = new GraphBuilder('gpt2');
  const inputIds = g.input('input_ids', DataType.INT64, [BATCH, 'sequence_length']);
  const attentionMask = g.input('attention_mask', DataType.INT64, [BATCH, 'total_sequence_length']);
  const wte = weight(g, p.wte);
  let x = g.op('Gather', [wte, inputIds]);
  const m = masks(g, inputIds, attentionMask, cfg.attentionWindow);
  const negSlopes = g.op('Reshape', [
    g.op(
      'Concat',
      alibiSlopes(cfg.nHead).map((s) => g.op('Unsqueeze', [g.constFloat(-s), g.constInt64([0])])),
      { axis: 0 },
    ),
    g.constInt64([1, cfg.nHead, 1, 1]),
  ]);
  p.blocks.forEach((b, index) => {
    x = g.op('Add', [x, attention(g, x, b, cfg, { index, masks: m, negSlopes })]);
    const h = linear(g, geluTanh(g, linear(g, layerNorm(g, x, ...b.ln2), ...b.fc)), ...b.fc2);
    x = g.op('Add', [x, h]);
  });
  const f = layerNorm(g, x, ...p.lnF);
  // Tied head: the same wte initializer, transposed in the graph, so the weights are stored once.
  g.op('MatMul', [f, g.op('Transpose', [wte], { perm: [1, 0] })], {}, 'logits');
  g.output('logits', DataType.FLOAT, [BATCH, 'sequence_length', cfg.vocabSize]);
  const d = cfg.nEmbd / cfg.nHead;
  for (let i = 0; i < cfg.nLayer; i++) {
    for (const kind of ['key', 'value']) {
      g.output(`present.${i}.${kind}`, DataType.FLOAT, [BATCH, cfg.nHead, 'total_sequence_length', d]);
    }
  }
  return g.toBytes(docString);
}
