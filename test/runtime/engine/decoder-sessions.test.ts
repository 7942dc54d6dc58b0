/**
 * The decoders of every export layout on real onnxruntime sessions over the decoder fixtures: a prefill plus
 * cached steps gives the logits of recomputing the whole sequence, and rows of different lengths batched
 * together give what each gives alone, also on graphs without `position_ids` that count positions from the
 * padded lengths (gpt2-merged, and a no-cache GPT-2 without position_ids).
 */
import { writeFileSync } from 'node:fs';

import { join } from 'node:path';
import { expect } from 'chai';
import * as ort from 'onnxruntime-node';
import { decoderGraphBytes } from '../../../models/src/fixtures/decoder-graph.js';
import {
  DECODER_FIXTURES,
  DECODER_SPECS,
  type DecoderFixture,
} from '../../../models/src/fixtures/decoders.js';
import {
  createDecoder,
  type Decoder,
  type SequenceCache,
  type StepResult,
  type StepRow,
  UnpaddedDecoder,
} from '../../../runtime/src/engine/generator.js';
import { type DecoderLayout, decoderLayout } from '../../../runtime/src/engine/layout.js';
import { decoderDims, readModelFiles } from '../../../runtime/src/engine/model-files.js';
import { describeSession } from '../../../runtime/src/engine/session.js';
import { TempDirs } from '../../models/helpers/tmp.js';

interface Opened {
  readonly session: ort.InferenceSession;
  readonly layout: DecoderLayout;
  readonly decoder: Decoder;
}

const dirs = new TempDirs();
const opened = new Map<string, Opened>();

async function open(name: string): Promise<Opened> {
  const dir = dirs.make(`decoder-${name}`);
  await (DECODER_FIXTURES[name] as (dir: string) => Promise<void>)(dir);
  const session = await ort.InferenceSession.create(
    join(dir, (DECODER_SPECS[name] as DecoderFixture).onnxFile),
  );
  const { config } = await readModelFiles(dir);
  const layout = decoderLayout(describeSession(session), decoderDims(config));
  return { session, layout, decoder: createDecoder(session, layout, 0) };
}

const maxDiff = (a: Float32Array, b: Float32Array) =>
  a.reduce((m, v, i) => Math.max(m, Math.abs(v - (b[i] as number))), 0);

/** Logits of the last token of `prompt + steps`, fed as a prefill then one cached step per token. */
async function cachedRun(decoder: Decoder, prompt: number[], steps: number[]): Promise<Float32Array[]> {
  let result = await decoder.step([{ input: prompt, cache: undefined }]);
  const logits = [result.logits[0] as Float32Array];
  let cache: SequenceCache | undefined = result.caches[0];
  for (const token of steps) {
    result = await decoder.step([{ input: [token], cache }]);
    cache = result.caches[0];
    logits.push(result.logits[0] as Float32Array);
  }
  return logits;
}

const PROMPT = [40, 7, 93, 120, 15];
const STEPS = [61, 200, 3];

/** float16 caches and logits round to about 3 significant digits. */
const tolerance = (name: string) => (name.includes('fp16') ? 2e-2 : 1e-4);

describe('decoders over real export layouts', function () {
  this.timeout(60_000);

  before(async () => {
    for (const name of Object.keys(DECODER_FIXTURES)) opened.set(name, await open(name));
  });

  after(async () => {
    for (const o of opened.values()) await o.session.release();
    dirs.removeAll();
  });

  it('reads each fixture as the layout its export has', () => {
    const kinds = Object.fromEntries(
      [...opened].map(([name, o]) => [
        name,
        o.layout.kind === 'kv-cache'
          ? `${o.layout.cacheType} cache, ${o.layout.kvHeads}x${o.layout.headDim}`
          : 'recompute',
      ]),
    );
    expect(kinds).to.deep.equal({
      'gpt2-merged': 'float32 cache, 2x16',
      'gpt2-no-cache': 'recompute',
      'qwen2-gqa': 'float32 cache, 2x8',
      'llama-gqa-symbolic': 'float32 cache, 2x16',
      'qwen2-fp16-cache': 'float16 cache, 2x8',
      'llama-logits-to-keep': 'float32 cache, 2x8',
    });
  });

  for (const name of Object.keys(DECODER_FIXTURES)) {
    it(`${name}: a prefill and cached steps give the logits of recomputing the whole sequence`, async () => {
      const { decoder } = opened.get(name) as Opened;
      const cached = await cachedRun(decoder, PROMPT, STEPS);
      for (let n = 0; n <= STEPS.length; n++) {
        const whole = await decoder.step([{ input: [...PROMPT, ...STEPS.slice(0, n)], cache: undefined }]);
        expect(maxDiff(cached[n] as Float32Array, whole.logits[0] as Float32Array), `step ${n}`).to.be.below(
          tolerance(name),
        );
      }
      // The cache matters: the last token alone, without what came before, predicts something else.
      const alone = await decoder.step([{ input: [STEPS.at(-1) as number], cache: undefined }]);
      expect(maxDiff(cached.at(-1) as Float32Array, alone.logits[0] as Float32Array)).to.be.above(0.1);
    });

    it(`${name}: rows of different lengths batched together give what each gives alone`, async () => {
      const { decoder } = opened.get(name) as Opened;
      const prompts = [[5, 6, 7], PROMPT, [99]];
      const alone = await Promise.all(prompts.map((p) => cachedRun(decoder, p, STEPS.slice(0, 2))));
      let result = await decoder.step(prompts.map((input) => ({ input, cache: undefined })));
      const batched = [result.logits];
      for (const token of STEPS.slice(0, 2)) {
        result = await decoder.step(result.caches.map((cache) => ({ input: [token], cache })));
        batched.push(result.logits);
      }
      for (const [step, logits] of batched.entries()) {
        for (const [r, row] of logits.entries()) {
          const diff = maxDiff(row, alone[r]?.[step] as Float32Array);
          expect(diff, `row ${r} step ${step}`).to.be.below(tolerance(name));
        }
      }
    });
  }

  describe('a decoder without a cache or position_ids (positions arange(0, seq), whatever the mask)', () => {
    let session: ort.InferenceSession;
    let decoder: Decoder;

    before(async () => {
      const dir = dirs.make('decoder-no-cache-no-positions');
      const spec = (DECODER_SPECS['gpt2-no-cache'] as DecoderFixture).graph;
      const file = join(dir, 'decoder_model.onnx');
      writeFileSync(file, decoderGraphBytes({ ...spec, positionIds: false }));
      session = await ort.InferenceSession.create(file);
      const layout = decoderLayout(describeSession(session), {});
      expect(layout).to.include({ kind: 'recompute', usesPositionIds: false });
      decoder = createDecoder(session, layout, 0);
    });

    after(() => session.release());

    it('rows of different lengths batched together give what each gives alone', async () => {
      const rows: StepRow[] = [
        { input: [5, 6, 7], cache: undefined },
        { input: PROMPT, cache: undefined },
        { input: [99], cache: undefined },
        { input: [8, 9, 10], cache: undefined },
      ];
      const prefill = await decoder.step(rows);
      const next = prefill.caches.map((cache, r): StepRow => ({ input: [STEPS[r % 2] as number], cache }));
      const steps: [readonly StepRow[], StepResult][] = [
        [rows, prefill],
        [next, await decoder.step(next)],
      ];
      for (const [step, [fed, result]] of steps.entries()) {
        for (const [r, row] of fed.entries()) {
          const alone = await decoder.step([row]);
          const diff = maxDiff(result.logits[r] as Float32Array, alone.logits[0] as Float32Array);
          expect(diff, `row ${r} step ${step}`).to.be.below(1e-4);
          expect(result.caches[r]).to.deep.equal(alone.caches[0]);
        }
      }
    });
  });

  it('a graph without position_ids runs a step as one run per group of rows of equal lengths', async () => {
    const runs: number[][] = [];
    const inner: Decoder = {
      step: async (rows: readonly StepRow[]): Promise<StepResult> => {
        runs.push(rows.map((row) => row.input[0] as number));
        return {
          logits: rows.map((row) => Float32Array.of(row.input[0] as number)),
          caches: rows.map((row) => ({ kind: 'tokens', length: row.input.length, tokens: row.input })),
        };
      },
    };
    const decoder = new UnpaddedDecoder(inner, (row) => String(row.input.length));
    const result = await decoder.step([
      { input: [0, 1], cache: undefined },
      { input: [1], cache: undefined },
      { input: [2, 1], cache: undefined },
      { input: [3], cache: undefined },
      { input: [4, 1, 1], cache: undefined },
    ]);
    expect(runs).to.deep.equal([[0, 2], [1, 3], [4]]);
    expect(result.logits.map((l) => l[0])).to.deep.equal([0, 1, 2, 3, 4]);
    expect(result.caches.map((c) => c.length)).to.deep.equal([2, 1, 2, 1, 3]);
    runs.length = 0;
    await decoder.step([
      { input: [5], cache: undefined },
      { input: [6], cache: undefined },
    ]);
    expect(runs).to.deep.equal([[5, 6]]);
  });

  it('a cache given to a step is left as it was, so several sequences may share it', async () => {
    const { decoder } = opened.get('qwen2-fp16-cache') as Opened;
    const prefill = await decoder.step([{ input: PROMPT, cache: undefined }]);
    const cache = prefill.caches[0] as SequenceCache;
    const before = JSON.stringify(cache);
    const [a, b] = await Promise.all([
      decoder.step([{ input: [1], cache }]),
      decoder.step([{ input: [1], cache }]),
    ]);
    expect(JSON.stringify(cache)).to.equal(before);
    expect(maxDiff(a?.logits[0] as Float32Array, b?.logits[0] as Float32Array)).to.equal(0);
  });
});
