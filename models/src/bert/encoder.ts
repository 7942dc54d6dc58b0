/**
 * The shared front of the two BERT-style models: word + token-type embeddings over WordPiece ids, the
 * graph inputs BERT exports have (input_ids, attention_mask, token_type_ids), and the config.json.
 * There are no transformer layers: a bag of trained embeddings is what these tasks need at this size,
 * and config.json says so with num_hidden_layers 0.
 * @module
 */
import { add, embedding } from '../autograd/ops.js';
import { normalInit, type Param, param, type Tape, type Tensor } from '../autograd/tensor.js';
import { GraphBuilder } from '../onnx/graph.js';
import { weight } from '../onnx/layers.js';
import { DataType } from '../onnx/schema.js';
import type { WordPieceTokenizer } from '../tokenizers/wordpiece.js';
import type { Rng } from '../util/rng.js';

export interface EmbeddingParams {
  readonly word: Param;
  readonly type: Param;
}

export function initEmbeddings(rng: Rng, vocab: number, width: number): EmbeddingParams {
  return {
    word: param(
      'bert.embeddings.word_embeddings.weight',
      [vocab, width],
      normalInit(rng, vocab * width, 0.1),
    ),
    type: param('bert.embeddings.token_type_embeddings.weight', [2, width], normalInit(rng, 2 * width, 0.02)),
  };
}

/** Sentences tokenized and packed end to end; sentence s is rows offsets[s]..offsets[s+1]-1. */
export interface Packed {
  readonly ids: Int32Array;
  readonly offsets: Int32Array;
}

export function pack(tok: WordPieceTokenizer, texts: readonly string[]): Packed {
  const ids: number[] = [];
  const offsets = [0];
  for (const t of texts) {
    ids.push(...tok.encode(t));
    offsets.push(ids.length);
  }
  return { ids: Int32Array.from(ids), offsets: Int32Array.from(offsets) };
}

/** Per-token embeddings [tokens, width]; single-segment input, so every token_type_id is 0. */
export function embed(tape: Tape, p: EmbeddingParams, packed: Packed): Tensor {
  return add(
    tape,
    embedding(tape, p.word.t, packed.ids),
    embedding(tape, p.type.t, new Int32Array(packed.ids.length)),
  );
}

export interface EmbeddingGraph {
  readonly g: GraphBuilder;
  /** [batch_size, sequence_length, width] */
  readonly x: string;
  readonly attentionMask: string;
}

/** Declares BERT's three inputs and gathers the embeddings. */
export function embeddingGraph(name: string, p: EmbeddingParams): EmbeddingGraph {
  const g = new GraphBuilder(name);
  const dims = ['batch_size', 'sequence_length'];
  const inputIds = g.input('input_ids', DataType.INT64, dims);
  const attentionMask = g.input('attention_mask', DataType.INT64, dims);
  const tokenTypes = g.input('token_type_ids', DataType.INT64, dims);
  const x = g.op('Add', [
    g.op('Gather', [weight(g, p.word), inputIds]),
    g.op('Gather', [weight(g, p.type), tokenTypes]),
  ]);
  return { g, x, attentionMask };
}

export interface BertConfigInput {
  readonly architecture: string;
  readonly vocabSize: number;
  readonly hiddenSize: number;
  readonly maxLength: number;
  readonly extra?: Record<string, unknown>;
}

export function bertConfig(c: BertConfigInput): Record<string, unknown> {
  return {
    architectures: [c.architecture],
    model_type: 'bert',
    vocab_size: c.vocabSize,
    hidden_size: c.hiddenSize,
    num_hidden_layers: 0,
    num_attention_heads: 1,
    intermediate_size: c.hiddenSize,
    hidden_act: 'tanh',
    max_position_embeddings: c.maxLength,
    type_vocab_size: 2,
    pad_token_id: 0,
    torch_dtype: 'float32',
    ...c.extra,
  };
}

/** Sum of a [batch, seq, width] tensor over unmasked positions divided by their count: [batch, width]. */
export function maskedMeanGraph(g: GraphBuilder, x: string, maskColumn: string): string {
  const axes = g.constInt64([1]);
  const sum = g.op('ReduceSum', [g.op('Mul', [x, maskColumn]), axes], { keepdims: 0 });
  const count = g.op('Max', [g.op('ReduceSum', [maskColumn, axes], { keepdims: 0 }), g.constFloat(1)]);
  return g.op('Div', [sum, count]);
}
