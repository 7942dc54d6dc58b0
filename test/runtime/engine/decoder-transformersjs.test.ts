/**
 * transformers.js, the reference consumer of these exports, and the runtime's decoders agree: on every fixture
 * transformers.js can run, its greedy continuation is the runtime's token for token. (It cannot run a decoder
 * without a cache: after the prompt it feeds only the new token, which such a graph cannot attend from.)
 */
import { join } from 'node:path';
import { AutoModelForCausalLM, AutoTokenizer, env } from '@huggingface/transformers';
import { expect } from 'chai';
import * as ort from 'onnxruntime-node';
import {
  DECODER_SPECS,
  type DecoderFixture,
  writeDecoderFixture,
} from '../../../models/src/fixtures/decoders.js';
import { createDecoder } from '../../../runtime/src/engine/generator.js';
import { decoderLayout } from '../../../runtime/src/engine/layout.js';
import { decoderDims, readModelFiles } from '../../../runtime/src/engine/model-files.js';
import { argmax } from '../../../runtime/src/engine/sampling.js';
import { describeSession } from '../../../runtime/src/engine/session.js';
import { TempDirs } from '../../models/helpers/tmp.js';

/** How transformers.js is told which graph file to open. */
const FILE_OPTIONS: Record<string, Record<string, string>> = {
  'gpt2-merged': { model_file_name: 'decoder_model_merged' },
  'qwen2-gqa': {},
  'llama-gqa-symbolic': {},
  'qwen2-fp16-cache': { dtype: 'q4f16' },
  'llama-logits-to-keep': {},
};
const NEW_TOKENS = 8;

/** The runtime's greedy continuation: a prefill, then one cached step per token. */
async function runtimeGreedy(dir: string, f: DecoderFixture, prompt: number[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(join(dir, f.onnxFile));
  try {
    const { config } = await readModelFiles(dir);
    const decoder = createDecoder(session, decoderLayout(describeSession(session), decoderDims(config)), 0);
    const tokens: number[] = [];
    let result = await decoder.step([{ input: prompt, cache: undefined }]);
    while (tokens.length < NEW_TOKENS) {
      tokens.push(argmax(result.logits[0] as Float32Array));
      result = await decoder.step([{ input: [tokens.at(-1) as number], cache: result.caches[0] }]);
    }
    return tokens;
  } finally {
    await session.release();
  }
}

describe('decoders agree with transformers.js', function () {
  this.timeout(60_000);
  const dirs = new TempDirs();
  after(() => dirs.removeAll());

  for (const [name, options] of Object.entries(FILE_OPTIONS)) {
    it(`${name}: the same greedy continuation, token for token`, async () => {
      const f = DECODER_SPECS[name] as DecoderFixture;
      const dir = dirs.make(`tjs-${name}`);
      await writeDecoderFixture(dir, f);
      env.allowRemoteModels = false;
      env.useFSCache = false;
      const tokenizer = await AutoTokenizer.from_pretrained(dir, { local_files_only: true });
      const model = await AutoModelForCausalLM.from_pretrained(dir, {
        local_files_only: true,
        device: 'cpu',
        dtype: 'fp32',
        ...options,
      });
      try {
        const input = tokenizer('The robot liked to read');
        const output = (await model.generate({ ...input, max_new_tokens: NEW_TOKENS, do_sample: false })) as {
          tolist(): bigint[][];
        };
        const prompt = Array.from(input.input_ids.data as BigInt64Array, Number);
        const expected = (output.tolist()[0] as bigint[]).map(Number).slice(prompt.length);
        expect(await runtimeGreedy(dir, f, prompt)).to.deep.equal(expected);
      } finally {
        await model.dispose();
      }
    });
  }
});
