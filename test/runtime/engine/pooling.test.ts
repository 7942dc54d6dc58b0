import { expect } from 'chai';
import { type PoolingMode, pool } from '../../../runtime/src/engine/pooling.js';
import { encoderWindow, poolingModes } from '../../../runtime/src/engine/sentence-transformers.js';
import { sigmoid } from '../../../runtime/src/engine/vectors.js';
import { ModelLoadFailedError } from '../../../runtime/src/errors.js';

describe('pooling token states into a sentence vector', () => {
  // Three positions of width 2, the last one padding: [1,4] [3,-2] [100,100].
  const hidden = [1, 4, 3, -2, 100, 100];
  const mask = [1n, 1n, 0n];
  const table: [PoolingMode[], number[]][] = [
    [['mean'], [2, 1]],
    [['cls'], [1, 4]],
    [['max'], [3, 4]],
    [['lasttoken'], [3, -2]],
    // Several modes concatenate in the order given (sentence-transformers' own order comes from the config).
    [
      ['cls', 'mean'],
      [1, 4, 2, 1],
    ],
    [
      ['cls', 'max', 'mean', 'lasttoken'],
      [1, 4, 3, 4, 2, 1, 3, -2],
    ],
  ];
  for (const [modes, expected] of table) {
    it(`${modes.join('+')} over the unmasked tokens gives ${JSON.stringify(expected)}`, () => {
      expect(pool(hidden, mask, 2, modes)).to.deep.equal(expected);
    });
  }
  it('gives zeros for a row with no unmasked token', () => {
    expect(pool([1, 2], [0n], 2, ['max', 'lasttoken'])).to.deep.equal([0, 0, 0, 0]);
  });
});

describe('sentence-transformers settings', () => {
  const modes: [Record<string, unknown>, PoolingMode[]][] = [
    [{ pooling_mode_mean_tokens: true, pooling_mode_cls_token: false }, ['mean']],
    [{ pooling_mode_cls_token: true }, ['cls']],
    [{ pooling_mode_lasttoken: true }, ['lasttoken']],
    [
      { pooling_mode_mean_tokens: true, pooling_mode_max_tokens: true, pooling_mode_cls_token: true },
      ['cls', 'max', 'mean'],
    ],
  ];
  for (const [config, expected] of modes) {
    it(`pooling config ${JSON.stringify(config)} means ${expected.join('+')}`, () => {
      expect(poolingModes(config, '1_Pooling/config.json')).to.deep.equal(expected);
    });
  }
  const refused: [Record<string, unknown>, string][] = [
    [{ pooling_mode_weightedmean_tokens: true }, 'turns on pooling_mode_weightedmean_tokens'],
    [{ pooling_mode_mean_tokens: false }, 'turns on no pooling mode'],
  ];
  for (const [config, message] of refused) {
    it(`refuses pooling config ${JSON.stringify(config)}: "${message}"`, () => {
      expect(() => poolingModes(config, '1_Pooling/config.json')).to.throw(ModelLoadFailedError, message);
    });
  }

  const windows: [string, Parameters<typeof encoderWindow>[0], number | undefined, number | undefined][] = [
    ['BERT', { model_type: 'bert', max_position_embeddings: 512, pad_token_id: 0 }, undefined, 512],
    ['all-MiniLM-L6-v2 (max_seq_length 256)', { model_type: 'bert', max_position_embeddings: 512 }, 256, 256],
    [
      'RoBERTa (positions after padding_idx 1)',
      { model_type: 'roberta', max_position_embeddings: 514, pad_token_id: 1 },
      undefined,
      512,
    ],
    [
      'MPNet with max_seq_length 384',
      { model_type: 'mpnet', max_position_embeddings: 514, pad_token_id: 1 },
      384,
      384,
    ],
    ['max_seq_length above the positions', { model_type: 'bert', max_position_embeddings: 128 }, 512, 128],
    ['no positions in config.json', { model_type: 'bert' }, 200, 200],
    ['nothing said', {}, undefined, undefined],
  ];
  for (const [given, config, maxSeqLength, expected] of windows) {
    it(`the encoder window of ${given} is ${expected}`, () => {
      expect(encoderWindow(config, maxSeqLength)).to.equal(expected);
    });
  }
});

describe('sigmoid scores (multi-label classification)', () => {
  it('scores each logit on its own', () => {
    const [a, b, c] = sigmoid([0, 2, -2]);
    expect(a).to.equal(0.5);
    expect(b).to.be.closeTo(0.8808, 1e-4);
    expect(b! + c!).to.be.closeTo(1, 1e-12);
  });
});
