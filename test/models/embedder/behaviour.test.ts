/**
 * The built sentence-embedder-v1 puts held-out sentences about the same topic closer together than
 * sentences about different topics, and transformers.js feature-extraction (mean pooling + normalize)
 * reproduces the pooling consumers do by hand.
 */
import { readFileSync } from 'node:fs';
import { AutoTokenizer, env, type PreTrainedTokenizer, pipeline } from '@huggingface/transformers';
import { expect } from 'chai';
import * as ort from 'onnxruntime-node';
import { parseTopics } from '../../../models/src/data/corpus.js';
import { DATA_DIR, ensureBuilt, modelDir, readJson } from '../helpers/artifacts.js';
import { expectAllClose, shapeOf } from '../helpers/assert.js';
import { allWordsKnown, type BertOut, runBert } from '../helpers/ort-bert.js';

const HELD_OUT: Record<string, string[]> = {
  cooking: ['Fry the garlic in oil and add the tomatoes.', 'Bake the bread in a hot oven with butter.'],
  weather: [
    'Strong wind and heavy rain are expected this evening.',
    'The forecast says snow and frost tomorrow.',
  ],
  sport: [
    'The team scored a late goal and won the match.',
    'The players cheered as the referee blew the whistle.',
  ],
  computers: ['Install the update and restart the laptop.', 'The server crashed with a memory error.'],
  music: ['The band played a song on the guitar.', 'She sang with the choir at the concert.'],
  gardening: ['Water the seeds and pull the weeds.', 'Prune the roses and spread compost on the beds.'],
};
const ROWS = Object.entries(HELD_OUT).flatMap(([topic, texts]) => texts.map((text) => ({ topic, text })));

/** Mean over unmasked tokens, then L2-normalised: what consumers do with last_hidden_state. */
function pooled(out: BertOut): number[][] {
  const [, S, H] = out.dims as [number, number, number];
  return out.ids.map((ids, b) => {
    const v = new Array<number>(H).fill(0);
    for (let t = 0; t < ids.length; t++)
      for (let h = 0; h < H; h++) v[h]! += out.data[(b * S + t) * H + h]! / ids.length;
    const n = Math.hypot(...v);
    return v.map((x) => x / n);
  });
}

const cos = (a: number[], b: number[]): number => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('sentence-embedder-v1 (built artifact)', function () {
  this.timeout(60_000);
  let session: ort.InferenceSession;
  let tok: PreTrainedTokenizer;
  before(async () => {
    await ensureBuilt();
    env.allowRemoteModels = false;
    session = await ort.InferenceSession.create(`${modelDir('sentence-embedder-v1')}/onnx/model.onnx`);
    tok = await AutoTokenizer.from_pretrained(modelDir('sentence-embedder-v1'));
  });

  it('is a BertModel with last_hidden_state [batch_size, sequence_length, hidden]', () => {
    const cfg = readJson<{ architectures: string[]; model_type: string; hidden_size: number }>(
      `${modelDir('sentence-embedder-v1')}/config.json`,
    );
    expect(cfg.model_type).to.equal('bert');
    expect(cfg.architectures).to.deep.equal(['BertModel']);
    expect(session.inputNames).to.deep.equal(['input_ids', 'attention_mask', 'token_type_ids']);
    expect(session.outputNames).to.deep.equal(['last_hidden_state']);
    expect(shapeOf(session.outputMetadata, 'last_hidden_state')).to.deep.equal([
      'batch_size',
      'sequence_length',
      cfg.hidden_size,
    ]);
  });

  it('uses held-out sentences that are new to it but made of words it knows', () => {
    const trained = new Set(parseTopics(readFileSync(`${DATA_DIR}/topics.txt`, 'utf8')).map((r) => r.text));
    for (const { text } of ROWS) {
      expect(trained.has(text), text).to.equal(false);
      expect(allWordsKnown(tok, text), text).to.equal(true);
    }
  });

  it('scores same-topic held-out pairs above different-topic pairs', async () => {
    const z = pooled(
      await runBert(
        session,
        tok,
        ROWS.map((r) => r.text),
      ),
    );
    let ordered = 0;
    let triplets = 0;
    let same = 0;
    let other = 0;
    for (const [i, a] of ROWS.entries()) {
      for (const [j, b] of ROWS.entries()) {
        if (i === j) continue;
        if (a.topic === b.topic) same += cos(z[i]!, z[j]!) / ROWS.length;
        else other += cos(z[i]!, z[j]!) / (ROWS.length * (ROWS.length - 2));
        if (a.topic !== b.topic) continue;
        for (const [k, c] of ROWS.entries()) {
          if (c.topic === a.topic) continue;
          triplets++;
          if (cos(z[i]!, z[j]!) > cos(z[i]!, z[k]!)) ordered++;
        }
      }
    }
    expect(ordered / triplets, 'anchor closer to its topic partner than to another topic').to.be.at.least(
      0.95,
    );
    expect(same - other, 'mean same-topic minus mean cross-topic cosine').to.be.above(0.4);
  });

  it('zeroes padding and gives each batch row the hidden states it gets alone', async () => {
    const texts = ROWS.slice(0, 3).map((r) => r.text);
    const batch = await runBert(session, tok, texts);
    const [, S, H] = batch.dims as [number, number, number];
    for (const [i, t] of texts.entries()) {
      const alone = await runBert(session, tok, [t]);
      const n = batch.ids[i]!.length;
      for (let k = 0; k < n * H; k++) expect(batch.data[i * S * H + k]).to.be.closeTo(alone.data[k]!, 1e-6);
      for (let k = n * H; k < S * H; k++) expect(batch.data[i * S * H + k]).to.equal(0);
    }
  });

  it('gives the same unit vectors through transformers.js feature-extraction (mean, normalize)', async () => {
    const extract = await pipeline('feature-extraction', modelDir('sentence-embedder-v1'), {
      dtype: 'fp32',
      device: 'cpu',
    });
    const texts = ROWS.map((r) => r.text);
    const ours = pooled(await runBert(session, tok, texts));
    const theirs = (await extract(texts, { pooling: 'mean', normalize: true })).tolist() as number[][];
    for (const [i, v] of theirs.entries()) {
      expect(Math.hypot(...v)).to.be.closeTo(1, 1e-5);
      expectAllClose(v, ours[i]!, 1e-5, texts[i]);
    }
    await extract.dispose();
  });
});
