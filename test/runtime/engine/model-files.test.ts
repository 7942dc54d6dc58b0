import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  contextWindow,
  decoderDims,
  eosTokenIds,
  type HfConfig,
  inferTask,
  labelsOf,
  type ModelFiles,
  positionsFollowMask,
  readModelFiles,
} from '../../../runtime/src/engine/model-files.js';
import { ModelLoadFailedError } from '../../../runtime/src/errors.js';

describe('model files', () => {
  const tasks: [string[] | undefined, string][] = [
    [['BertForSequenceClassification'], 'classify'],
    [['GPT2LMHeadModel'], 'generate'],
    [['LlamaForCausalLM'], 'generate'],
    [['BertModel'], 'embed'],
    [undefined, 'embed'],
  ];
  for (const [architectures, task] of tasks) {
    it(`given architectures ${JSON.stringify(architectures)}, infers task ${task}`, () => {
      expect(inferTask({ architectures })).to.equal(task);
    });
  }

  const windows: [HfConfig, number | undefined][] = [
    [{ n_positions: 128, max_position_embeddings: 64 }, 128],
    [{ max_position_embeddings: 64 }, 64],
    [{}, undefined],
  ];
  for (const [config, expected] of windows) {
    it(`given ${JSON.stringify(config)}, the context window is ${expected}`, () => {
      expect(contextWindow(config)).to.equal(expected);
    });
  }

  it('given id2label with a gap, names the missing index LABEL_<i>', () => {
    expect(labelsOf({ id2label: { '0': 'NEGATIVE', '2': 'POSITIVE' } }, 3)).to.deep.equal([
      'NEGATIVE',
      'LABEL_1',
      'POSITIVE',
    ]);
  });

  const eos: [string, Parameters<typeof eosTokenIds>, number[]][] = [
    [
      'generation_config over config',
      [{ config: { eos_token_id: 1 }, generationConfig: { eos_token_id: [2, 3] } }, 4],
      [2, 3],
    ],
    ['config only', [{ config: { eos_token_id: 1 }, generationConfig: undefined }, 4], [1]],
    ['the tokenizer as last resort', [{ config: {}, generationConfig: undefined }, 4], [4]],
    ['nothing', [{ config: {}, generationConfig: undefined }, undefined], []],
  ];
  for (const [given, args, expected] of eos) {
    it(`given ${given}, eos ids are ${JSON.stringify(expected)}`, () => {
      expect(eosTokenIds(...args)).to.deep.equal(expected);
    });
  }

  it('given GPT-2 names, reads layers, heads (key/value heads too) and head size', () => {
    expect(decoderDims({ n_layer: 2, n_head: 2, n_embd: 32 })).to.deep.equal({
      layers: 2,
      heads: 2,
      kvHeads: 2,
      headDim: 16,
    });
    expect(decoderDims({ num_hidden_layers: 4 })).to.deep.equal({ layers: 4 });
  });

  const padding: [string, Parameters<typeof positionsFollowMask>[0], boolean][] = [
    ['an ALiBi config (the story writers)', { model_type: 'gpt2', position_embedding_type: 'alibi' }, true],
    ['BLOOM', { model_type: 'bloom' }, true],
    ['MPT', { model_type: 'mpt' }, true],
    ['GPT-2 with learned absolute positions', { model_type: 'gpt2' }, false],
    [
      'an absolute position_embedding_type',
      { model_type: 'gpt2', position_embedding_type: 'absolute' },
      false,
    ],
    ['no model_type', {}, false],
  ];
  for (const [given, config, expected] of padding) {
    it(`given ${given}, positions ${expected ? 'follow' : 'do not follow'} the attention mask`, () => {
      expect(positionsFollowMask(config)).to.equal(expected);
    });
  }

  describe('readModelFiles', () => {
    let dir: string;
    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'runtime-model-files-'));
    });
    afterEach(() => rm(dir, { recursive: true, force: true }));

    it('reads config.json and the optional generation_config.json', async () => {
      await writeFile(
        join(dir, 'config.json'),
        JSON.stringify({ architectures: ['GPT2LMHeadModel'], n_positions: 64 }),
      );
      expect((await readModelFiles(dir)).generationConfig).to.equal(undefined);
      await writeFile(join(dir, 'generation_config.json'), JSON.stringify({ do_sample: false }));
      expect((await readModelFiles(dir)).generationConfig).to.deep.equal({ do_sample: false });
    });

    it('given broken JSON, throws ModelLoadFailedError naming the file', async () => {
      await writeFile(join(dir, 'config.json'), '{');
      const error = await readModelFiles(dir).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ModelLoadFailedError);
      expect((error as Error).message).to.include(`${join(dir, 'config.json')} is not valid JSON`);
    });

    const generationConfigs: [string, Record<string, unknown>, string | undefined][] = [
      [
        'every default the runtime uses',
        { temperature: 0.7, top_k: 20, top_p: 0.8, repetition_penalty: 1.05, max_new_tokens: 256 },
        undefined,
      ],
      ['a negative temperature', { temperature: -1 }, 'temperature'],
      ['top_p 0', { top_p: 0 }, 'top_p'],
      ['repetition_penalty 0', { repetition_penalty: 0 }, 'repetition_penalty'],
      ['max_new_tokens 0', { max_new_tokens: 0 }, 'max_new_tokens'],
    ];
    for (const [given, json, field] of generationConfigs) {
      it(`given generation_config.json with ${given}, ${field ? `refuses it naming ${field}` : 'reads it'}`, async () => {
        await writeFile(join(dir, 'config.json'), '{}');
        await writeFile(join(dir, 'generation_config.json'), JSON.stringify(json));
        const read = await readModelFiles(dir).catch((e: unknown) => e);
        if (field === undefined) expect((read as ModelFiles).generationConfig).to.deep.equal(json);
        else {
          expect(read).to.be.instanceOf(ModelLoadFailedError);
          expect((read as Error).message).to.include(`has unexpected fields: ${field}`);
        }
      });
    }

    it('given a field of the wrong type, throws ModelLoadFailedError naming the field', async () => {
      await writeFile(join(dir, 'config.json'), JSON.stringify({ n_positions: 'many' }));
      const error = await readModelFiles(dir).catch((e: unknown) => e);
      expect((error as Error).message).to.include('has unexpected fields: n_positions');
    });
  });
});
