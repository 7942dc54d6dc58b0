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
