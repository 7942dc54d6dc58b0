import { expect } from 'chai';
import { checkEncoder, decoderLayout } from '../../../runtime/src/engine/layout.js';
import type { SessionIO, TensorInfo } from '../../../runtime/src/engine/session.js';
import { ModelLoadFailedError } from '../../../runtime/src/errors.js';

const t = (name: string, shape: (number | string)[] = [], type = 'float32'): TensorInfo => ({
  name,
  type,
  shape,
});

/** What onnxruntime reports for a 2-layer GPT-2-layout graph (shapes as in docs/onnx-models notes). */
const gpt2: SessionIO = {
  inputs: [
    t('input_ids', ['batch_size', 'sequence_length'], 'int64'),
    t('attention_mask', ['batch_size', 'total_sequence_length'], 'int64'),
    t('position_ids', ['batch_size', 'sequence_length'], 'int64'),
    t('past_key_values.0.key', ['batch_size', 2, 'past_sequence_length', 16]),
    t('past_key_values.0.value', ['batch_size', 2, 'past_sequence_length', 16]),
    t('past_key_values.1.key', ['batch_size', 2, 'past_sequence_length', 16]),
    t('past_key_values.1.value', ['batch_size', 2, 'past_sequence_length', 16]),
  ],
  outputs: [
    t('logits', ['batch_size', 'sequence_length', 317]),
    t('present.0.key'),
    t('present.0.value'),
    t('present.1.key'),
    t('present.1.value'),
  ],
};

describe('graph layout checks', () => {
  it('given a GPT-2-layout graph, reads layers, heads and head size from the cache shape', () => {
    expect(decoderLayout(gpt2, {})).to.deep.equal({
      layers: 2,
      heads: 2,
      headDim: 16,
      usesPositionIds: true,
    });
  });

  it('given symbolic cache dims, falls back to config.json', () => {
    const symbolic: SessionIO = {
      inputs: gpt2.inputs
        .map((i) => (i.name.startsWith('past') ? t(i.name, ['b', 'h', 'p', 'd']) : i))
        .filter((i) => i.name !== 'position_ids'),
      outputs: gpt2.outputs,
    };
    expect(decoderLayout(symbolic, { heads: 4, headDim: 8 })).to.deep.include({
      heads: 4,
      headDim: 8,
      usesPositionIds: false,
    });
  });

  const broken: [string, SessionIO, Parameters<typeof decoderLayout>[1], string][] = [
    [
      'no cache inputs',
      { inputs: [t('input_ids')], outputs: [t('logits')] },
      {},
      'has no past_key_values.{i}.key inputs',
    ],
    [
      'a layer count that disagrees with config.json',
      gpt2,
      { layers: 3 },
      'config.json says 3 layers but the ONNX graph has 2',
    ],
    [
      'a missing present output',
      { inputs: gpt2.inputs, outputs: gpt2.outputs.filter((o) => o.name !== 'present.1.value') },
      {},
      'lacks output(s) present.1.value needed to generate',
    ],
    [
      'a float16 cache',
      {
        inputs: gpt2.inputs.map((i) => (i.name.startsWith('past') ? { ...i, type: 'float16' } : i)),
        outputs: gpt2.outputs,
      },
      {},
      'past_key_values are float16; only float32 caches are supported',
    ],
  ];
  for (const [given, io, dims, message] of broken) {
    it(`given ${given}, throws ModelLoadFailedError "${message}"`, () => {
      expect(() => decoderLayout(io, dims)).to.throw(ModelLoadFailedError, message);
    });
  }

  const encoders: [string, SessionIO, 'classify' | 'embed', string | undefined][] = [
    [
      'a BERT classifier',
      { inputs: [t('input_ids'), t('attention_mask'), t('token_type_ids')], outputs: [t('logits')] },
      'classify',
      undefined,
    ],
    [
      'an embedder without last_hidden_state',
      { inputs: [t('input_ids')], outputs: [t('pooler_output')] },
      'embed',
      'lacks output(s) last_hidden_state needed to embed',
    ],
    [
      'an input we cannot feed',
      { inputs: [t('input_ids'), t('pixel_values')], outputs: [t('logits')] },
      'classify',
      'wants input(s) pixel_values',
    ],
  ];
  for (const [given, io, task, message] of encoders) {
    it(`given ${given} for ${task}, ${message ? `throws "${message}"` : 'accepts it'}`, () => {
      if (message) expect(() => checkEncoder(io, task)).to.throw(ModelLoadFailedError, message);
      else expect(() => checkEncoder(io, task)).not.to.throw();
    });
  }
});
