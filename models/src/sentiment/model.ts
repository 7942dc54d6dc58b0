/**
 * sentiment-v1: embeddings -> attention-masked mean pooling -> tanh layer -> 2 logits, trained by
 * full-batch cross-entropy on the labelled sentences. A bag of words is enough for clearly positive or
 * negative sentences and generalises to new sentences made of known words; it cannot read negation.
 * @module
 */
import { AdamW } from '../autograd/adam.js';
import { crossEntropy, meanPool } from '../autograd/losses.js';
import { linear, tanh } from '../autograd/ops.js';
import { countParams, filled, normalInit, type Param, param, Tape, type Tensor } from '../autograd/tensor.js';
import {
  type EmbeddingParams,
  embed,
  embeddingGraph,
  initEmbeddings,
  maskedMeanGraph,
  type Packed,
} from '../bert/encoder.js';
import { linear as linearGraph, maskColumn } from '../onnx/layers.js';
import { DataType } from '../onnx/schema.js';
import { Rng } from '../util/rng.js';

export const LABELS = ['NEGATIVE', 'POSITIVE'] as const;

export interface ClassifierParams {
  readonly emb: EmbeddingParams;
  readonly pooler: [Param, Param];
  readonly classifier: [Param, Param];
  readonly all: readonly Param[];
}

export interface ClassifierSpec {
  readonly width: number;
  readonly steps: number;
  readonly lr: number;
  readonly seed: number;
}

function init(rng: Rng, vocab: number, width: number): ClassifierParams {
  const emb = initEmbeddings(rng, vocab, width);
  const pooler: [Param, Param] = [
    param('bert.pooler.dense.weight', [width, width], normalInit(rng, width * width, 1 / Math.sqrt(width))),
    param('bert.pooler.dense.bias', [width], filled(width, 0)),
  ];
  const classifier: [Param, Param] = [
    param('classifier.weight', [width, 2], normalInit(rng, width * 2, 1 / Math.sqrt(width))),
    param('classifier.bias', [2], filled(2, 0)),
  ];
  return { emb, pooler, classifier, all: [emb.word, emb.type, ...pooler, ...classifier] };
}

export function classifierLogits(tape: Tape, p: ClassifierParams, packed: Packed): Tensor {
  const pooled = meanPool(tape, embed(tape, p.emb, packed), packed.offsets);
  const h = tanh(tape, linear(tape, pooled, p.pooler[0].t, p.pooler[1].t));
  return linear(tape, h, p.classifier[0].t, p.classifier[1].t);
}

export interface TrainedClassifier {
  readonly params: ClassifierParams;
  readonly paramCount: number;
  readonly finalLoss: number;
}

/** Full-batch training: the data set is small enough that every step sees every sentence. */
export function trainClassifier(
  packed: Packed,
  labels: Int32Array,
  vocab: number,
  spec: ClassifierSpec,
): TrainedClassifier {
  const params = init(new Rng(spec.seed), vocab, spec.width);
  const opt = new AdamW(params.all, { lr: spec.lr, steps: spec.steps, warmup: 5, weightDecay: 0.01 });
  let finalLoss = Number.NaN;
  for (let step = 0; step < spec.steps; step++) {
    const tape = new Tape();
    const loss = crossEntropy(tape, classifierLogits(tape, params, packed), labels);
    tape.backward(loss);
    opt.step();
    finalLoss = loss.data[0]!;
  }
  return { params, paramCount: countParams(params.all), finalLoss };
}

export function exportClassifier(p: ClassifierParams, docString: string): Uint8Array {
  const { g, x, attentionMask } = embeddingGraph('bert-bag-classifier', p.emb);
  const pooled = maskedMeanGraph(g, x, maskColumn(g, attentionMask));
  const h = g.op('Tanh', [linearGraph(g, pooled, ...p.pooler)]);
  const logits = linearGraph(g, h, p.classifier[0], null);
  g.op('Add', [logits, g.weight(p.classifier[1].name, p.classifier[1].t.data, [2])], {}, 'logits');
  g.output('logits', DataType.FLOAT, ['batch_size', 2]);
  return g.toBytes(docString);
}
