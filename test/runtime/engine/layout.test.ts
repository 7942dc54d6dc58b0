import { expect } from 'chai';
import { checkEncoder } from '../../../runtime/src/engine/layout.js';
import type { SessionIO, TensorInfo } from '../../../runtime/src/engine/session.js';
import { ModelLoadFailedError } from '../../../runtime/src/errors.js';

const t = (name: string, shape: (number | string)[] = [], type = 'float32'): TensorInfo => ({
  name,
  type,
  shape,
});

describe('graph layout checks', () => {
  const encoders: [string, SessionIO, 'classify' | 'embed', string | undefined][] = [
    [
      'a BERT classifier',
      { inputs: [t('input_ids'), t('attention_mask'), t('token_type_ids')], outputs: [t('logits')] },
      'classify',
      undefined,
    ],
    [
      'an embedder with neither token states nor a sentence embedding',
      { inputs: [t('input_ids')], outputs: [t('pooler_output')] },
      'embed',
      'needs sentence_embedding or token_embeddings or last_hidden_state (it has: pooler_output)',
    ],
    [
      'a classifier without logits',
      { inputs: [t('input_ids')], outputs: [t('last_hidden_state')] },
      'classify',
      'lacks an output to classify: it needs logits',
    ],
    [
      'an input we cannot feed',
      { inputs: [t('input_ids'), t('pixel_values')], outputs: [t('logits')] },
      'classify',
      'wants input(s) pixel_values',
    ],
  ];
  const B = 'batch_size';
  const S = 'sequence_length';
  const reads: [string, SessionIO, 'classify' | 'embed', string, boolean][] = [
    [
      'a sentence-transformers export (token_embeddings, sentence_embedding)',
      {
        inputs: [t('input_ids'), t('attention_mask')],
        outputs: [t('token_embeddings', [B, S, 8]), t('sentence_embedding', [B, 8])],
      },
      'embed',
      'sentence_embedding',
      true,
    ],
    [
      'a feature-extraction export (last_hidden_state)',
      {
        inputs: [t('input_ids'), t('attention_mask'), t('token_type_ids')],
        outputs: [t('last_hidden_state')],
      },
      'embed',
      'last_hidden_state',
      false,
    ],
    [
      'token_embeddings only',
      { inputs: [t('input_ids'), t('attention_mask')], outputs: [t('token_embeddings')] },
      'embed',
      'token_embeddings',
      false,
    ],
    [
      'a DistilBERT classifier (no token_type_ids)',
      { inputs: [t('input_ids'), t('attention_mask')], outputs: [t('logits')] },
      'classify',
      'logits',
      true,
    ],
  ];
  for (const [given, io, task, name, pooled] of reads) {
    it(`given ${given} for ${task}, reads ${name}${pooled ? ' as it is' : ' and pools it'}`, () => {
      const out = checkEncoder(io, task);
      expect([out.name, out.pooled]).to.deep.equal([name, pooled]);
    });
  }
  for (const [given, io, task, message] of encoders) {
    it(`given ${given} for ${task}, ${message ? `throws "${message}"` : 'accepts it'}`, () => {
      if (message) expect(() => checkEncoder(io, task)).to.throw(ModelLoadFailedError, message);
      else expect(() => checkEncoder(io, task)).not.to.throw();
    });
  }
});
