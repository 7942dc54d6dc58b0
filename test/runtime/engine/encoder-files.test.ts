import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { writeBertModelDir } from '../../../models/src/fixtures/bert.js';
import { ENCODER_FIXTURES } from '../../../models/src/fixtures/encoders.js';
import {
  readSentenceSettings,
  type SentenceSettings,
} from '../../../runtime/src/engine/sentence-transformers.js';
import { loadTokenizer, type TextTokenizer } from '../../../runtime/src/engine/tokenizer.js';
import { ModelLoadFailedError } from '../../../runtime/src/errors.js';
import { TempDirs } from '../../models/helpers/tmp.js';

describe('encoder model files', () => {
  const tmp = new TempDirs();
  after(() => tmp.removeAll());

  describe('truncation keeps the special tokens', () => {
    let tokenizer: TextTokenizer;
    let full: number[];
    before(async () => {
      const dir = tmp.make('bert-tokenizer');
      await writeBertModelDir(dir, { layers: 1, hidden: 8, heads: 1, ffn: 8 });
      tokenizer = await loadTokenizer(dir);
      full = tokenizer.encode('the quick brown fox jumps over the lazy dog');
    });
    const table: [string, number, (ids: number[]) => number[]][] = [
      ['longer than the text', 100, (ids) => ids],
      ['exactly the text', 11, (ids) => ids],
      ['shorter: the text cut, [SEP] kept', 5, (ids) => [ids[0]!, ids[1]!, ids[2]!, ids[3]!, ids.at(-1)!]],
      ['room for the specials only', 2, (ids) => [ids[0]!, ids.at(-1)!]],
    ];
    for (const [given, maxLength, expected] of table) {
      it(`given a window ${given} (${maxLength}), gives ${maxLength >= 11 ? 'every id' : `${maxLength} ids`}`, () => {
        expect(full).to.have.length(11);
        expect(tokenizer.tokens([full[0]!, full.at(-1)!])).to.deep.equal(['[CLS]', '[SEP]']);
        expect(
          tokenizer.encodeTruncated('the quick brown fox jumps over the lazy dog', maxLength),
        ).to.deep.equal(expected(full));
      });
    }
  });

  describe('sentence-transformers files', () => {
    const settings: [string, Partial<SentenceSettings>][] = [
      [
        'bert-token-types',
        { pooling: ['mean'], normalize: true, maxSeqLength: undefined, fromModules: false },
      ],
      [
        'minilm-feature-extraction',
        { pooling: ['mean'], normalize: true, maxSeqLength: 24, fromModules: true },
      ],
      ['mpnet-sentence-transformers', { pooling: ['mean'], normalize: true, maxSeqLength: 32 }],
      ['bge-cls-pooling', { pooling: ['cls'], normalize: true }],
      ['max-pooling-unnormalized', { pooling: ['max'], normalize: false }],
      ['lasttoken-pooling', { pooling: ['lasttoken'], normalize: true }],
    ];
    for (const [fixture, expected] of settings) {
      it(`${fixture} reads as ${JSON.stringify(expected)}`, async () => {
        const dir = tmp.make(fixture);
        await ENCODER_FIXTURES[fixture]!(dir);
        expect(await readSentenceSettings(dir)).to.deep.include(expected);
      });
    }

    const broken: [string, Record<string, string>, string][] = [
      [
        'a Pooling module without its config',
        {
          'modules.json': JSON.stringify([
            { path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
          ]),
        },
        'modules.json lists a Pooling module but 1_Pooling/config.json is missing',
      ],
      ['modules.json that is not JSON', { 'modules.json': '[{' }, 'modules.json is not valid JSON'],
      [
        'a max_seq_length that is not a positive integer',
        { 'sentence_bert_config.json': '{"max_seq_length": 0}' },
        'sentence_bert_config.json has unexpected fields: max_seq_length',
      ],
    ];
    for (const [given, files, message] of broken) {
      it(`refuses ${given}: "${message}"`, async () => {
        const dir = tmp.make('broken');
        for (const [path, text] of Object.entries(files)) {
          await mkdir(join(dir, path, '..'), { recursive: true });
          await writeFile(join(dir, path), text);
        }
        const err = await readSentenceSettings(dir).catch((e: unknown) => e);
        expect(err).to.be.instanceOf(ModelLoadFailedError);
        expect((err as Error).message).to.include(message);
      });
    }

    it('reads modules after pooling it cannot apply (Dense) as unapplied', async () => {
      const dir = tmp.make('dense');
      await ENCODER_FIXTURES['minilm-feature-extraction']!(dir);
      const modules = [
        { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
        { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
        { idx: 2, name: '2', path: '2_Dense', type: 'sentence_transformers.models.Dense' },
      ];
      await writeFile(join(dir, 'modules.json'), JSON.stringify(modules));
      expect(await readSentenceSettings(dir))
        .to.include({ normalize: false })
        .and.have.deep.property('unapplied', ['Dense']);
    });
  });
});
