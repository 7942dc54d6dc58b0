/**
 * The built sentiment-v1 classifier labels clearly positive and negative sentences it never saw
 * (made of words it knows), batches like it runs alone, and transformers.js serves it offline.
 */
import { readFileSync } from 'node:fs';
import {
  AutoTokenizer,
  env,
  type PreTrainedTokenizer,
  pipeline,
  type TextClassificationOutput,
} from '@huggingface/transformers';
import { expect } from 'chai';
import * as ort from 'onnxruntime-node';
import { parseLabelled } from '../../../models/src/data/corpus.js';
import { DATA_DIR, ensureBuilt, modelDir, readJson } from '../helpers/artifacts.js';
import { shapeOf } from '../helpers/assert.js';
import { allWordsKnown, runBert, softmax } from '../helpers/ort-bert.js';

const HELD_OUT: [string, 'POSITIVE' | 'NEGATIVE'][] = [
  ['The staff were friendly and the room was clean.', 'POSITIVE'],
  ['A wonderful film with brilliant actors.', 'POSITIVE'],
  ['I loved the delicious cake and the excellent coffee.', 'POSITIVE'],
  ['The concert was fantastic and the music was beautiful.', 'POSITIVE'],
  ['Our guide was helpful and the trip was relaxing.', 'POSITIVE'],
  ['The new laptop is fast, simple and reliable.', 'POSITIVE'],
  ['The pizza was stale and the waiter was rude.', 'NEGATIVE'],
  ['The hotel was noisy and the bed was hard.', 'NEGATIVE'],
  ['The app is slow, buggy and confusing.', 'NEGATIVE'],
  ['A boring film with terrible actors.', 'NEGATIVE'],
  ['The trip was miserable and the bus was late.', 'NEGATIVE'],
  ['The soup was cold, greasy and bland.', 'NEGATIVE'],
];

describe('sentiment-v1 (built artifact)', function () {
  this.timeout(60_000);
  let session: ort.InferenceSession;
  let tok: PreTrainedTokenizer;
  before(async () => {
    await ensureBuilt();
    env.allowRemoteModels = false;
    session = await ort.InferenceSession.create(`${modelDir('sentiment-v1')}/onnx/model.onnx`);
    tok = await AutoTokenizer.from_pretrained(modelDir('sentiment-v1'));
  });

  it('is a BertForSequenceClassification with NEGATIVE/POSITIVE labels and BERT I/O', () => {
    const cfg = readJson<Record<string, unknown>>(`${modelDir('sentiment-v1')}/config.json`);
    expect(cfg).to.include({ model_type: 'bert' });
    expect(cfg.architectures).to.deep.equal(['BertForSequenceClassification']);
    expect(cfg.id2label).to.deep.equal({ 0: 'NEGATIVE', 1: 'POSITIVE' });
    expect(cfg.label2id).to.deep.equal({ NEGATIVE: 0, POSITIVE: 1 });
    expect(session.inputNames).to.deep.equal(['input_ids', 'attention_mask', 'token_type_ids']);
    expect(session.outputNames).to.deep.equal(['logits']);
    expect(shapeOf(session.outputMetadata, 'logits')).to.deep.equal(['batch_size', 2]);
    expect(shapeOf(session.inputMetadata, 'input_ids')).to.deep.equal(['batch_size', 'sequence_length']);
  });

  it('uses held-out sentences that are new to it but made of words it knows', () => {
    const trained = new Set(
      parseLabelled(readFileSync(`${DATA_DIR}/sentiment.tsv`, 'utf8')).map((r) => r.text),
    );
    for (const [text] of HELD_OUT) {
      expect(trained.has(text), text).to.equal(false);
      expect(allWordsKnown(tok, text), text).to.equal(true);
    }
  });

  it('labels clearly positive and clearly negative held-out sentences correctly', async () => {
    const out = await runBert(
      session,
      tok,
      HELD_OUT.map(([t]) => t),
    );
    HELD_OUT.forEach(([text, label], i) => {
      const p = softmax(out.data.subarray(2 * i, 2 * i + 2));
      expect(p[label === 'POSITIVE' ? 1 : 0], text).to.be.above(0.8);
    });
  });

  it('gives each row of a right-padded batch the logits it gets alone', async () => {
    const texts = HELD_OUT.slice(0, 4).map(([t]) => t);
    const batch = await runBert(session, tok, texts);
    for (const [i, t] of texts.entries()) {
      const alone = await runBert(session, tok, [t]);
      for (let c = 0; c < 2; c++) expect(batch.data[2 * i + c]).to.be.closeTo(alone.data[c]!, 1e-5);
    }
  });

  it('serves the same labels and scores through the transformers.js text-classification pipeline', async () => {
    const classify = await pipeline('text-classification', modelDir('sentiment-v1'), {
      dtype: 'fp32',
      device: 'cpu',
    });
    const texts = HELD_OUT.map(([t]) => t);
    const ort = await runBert(session, tok, texts);
    const results = (await classify(texts)) as TextClassificationOutput;
    results.forEach((r, i) => {
      const p = softmax(ort.data.subarray(2 * i, 2 * i + 2));
      expect(r.label).to.equal(HELD_OUT[i]![1]);
      expect(r.score).to.be.closeTo(Math.max(...p), 1e-5);
    });
    await classify.dispose();
  });
});
