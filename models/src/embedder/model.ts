/**
 * sentence-embedder-v1: per-token hidden states tanh(embedding · W + b), which consumers mean-pool over
 * the attention mask and L2-normalise. Trained with a supervised contrastive loss: for each sentence,
 * softmax over its cosine similarities to every other sentence should put the mass on sentences of the
 * same topic. Topic words are pulled together and words shared by all topics lose influence, which
 * carries over to new sentences made of known words.
 * @module
 */
import { AdamW } from '../autograd/adam.js';
import { l2Normalize, meanPool, scale, softCrossEntropy } from '../autograd/losses.js';
import { linear, matmulBT, tanh } from '../autograd/ops.js';
import { countParams, filled, normalInit, type Param, param, Tape, type Tensor } from '../autograd/tensor.js';
import { type EmbeddingParams, embed, embeddingGraph, initEmbeddings, type Packed } from '../bert/encoder.js';
import { linear as linearGraph, maskColumn } from '../onnx/layers.js';
import { DataType } from '../onnx/schema.js';
import { Rng } from '../util/rng.js';

export interface EmbedderParams {
  readonly emb: EmbeddingParams;
  readonly dense: [Param, Param];
  readonly all: readonly Param[];
}

export interface EmbedderSpec {
  readonly width: number;
  readonly steps: number;
  readonly lr: number;
  /** Softmax temperature over cosine similarities. */
  readonly temperature: number;
  readonly seed: number;
}

function init(rng: Rng, vocab: number, width: number): EmbedderParams {
  const emb = initEmbeddings(rng, vocab, width);
  const dense: [Param, Param] = [
    param('bert.encoder.dense.weight', [width, width], normalInit(rng, width * width, 1 / Math.sqrt(width))),
    param('bert.encoder.dense.bias', [width], filled(width, 0)),
  ];
  return { emb, dense, all: [emb.word, emb.type, ...dense] };
}

/** Per-token hidden states [tokens, width]. */
export function hiddenStates(tape: Tape, p: EmbedderParams, packed: Packed): Tensor {
  return tanh(tape, linear(tape, embed(tape, p.emb, packed), p.dense[0].t, p.dense[1].t));
}

/** Unit-norm sentence embeddings [sentences, width], pooled as consumers pool. */
export function sentenceEmbeddings(tape: Tape, p: EmbedderParams, packed: Packed): Tensor {
  return l2Normalize(tape, meanPool(tape, hiddenStates(tape, p, packed), packed.offsets));
}

/** Soft targets spread over each row's same-group sentences, and a mask that removes self-pairs. */
function contrastiveTargets(groups: Int32Array): { targets: Float32Array; mask: Float32Array } {
  const n = groups.length;
  const targets = new Float32Array(n * n);
  const mask = new Float32Array(n * n);
  for (let i = 0; i < n; i++) {
    mask[i * n + i] = -1e9;
    let positives = 0;
    for (let j = 0; j < n; j++) if (j !== i && groups[j] === groups[i]) positives++;
    for (let j = 0; j < n; j++) if (j !== i && groups[j] === groups[i]) targets[i * n + j] = 1 / positives;
  }
  return { targets, mask };
}

export interface TrainedEmbedder {
  readonly params: EmbedderParams;
  readonly paramCount: number;
  readonly finalLoss: number;
}

export function trainEmbedder(
  packed: Packed,
  groups: Int32Array,
  vocab: number,
  spec: EmbedderSpec,
): TrainedEmbedder {
  const params = init(new Rng(spec.seed), vocab, spec.width);
  const opt = new AdamW(params.all, { lr: spec.lr, steps: spec.steps, warmup: 5, weightDecay: 0.01 });
  const { targets, mask } = contrastiveTargets(groups);
  let finalLoss = Number.NaN;
  for (let step = 0; step < spec.steps; step++) {
    const tape = new Tape();
    const z = sentenceEmbeddings(tape, params, packed);
    const sims = scale(tape, matmulBT(tape, z, z), 1 / spec.temperature);
    const loss = softCrossEntropy(tape, sims, targets, mask);
    tape.backward(loss);
    opt.step();
    finalLoss = loss.data[0]!;
  }
  return { params, paramCount: countParams(params.all), finalLoss };
}

/** last_hidden_state, zeroed at padding so pooled sums never see pads. */
export function exportEmbedder(p: EmbedderParams, docString: string): Uint8Array {
  const { g, x, attentionMask } = embeddingGraph('bert-bag-embedder', p.emb);
  const h = g.op('Tanh', [linearGraph(g, x, ...p.dense)]);
  g.op('Mul', [h, maskColumn(g, attentionMask)], {}, 'last_hidden_state');
  g.output('last_hidden_state', DataType.FLOAT, ['batch_size', 'sequence_length', p.dense[0].t.shape[1]!]);
  return g.toBytes(docString);
}
