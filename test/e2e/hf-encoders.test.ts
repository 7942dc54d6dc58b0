/**
 * End to end: every encoder export layout users bring (ENCODER_FIXTURES: BERT, DistilBERT, RoBERTa, MPNet,
 * sentence-transformers outputs and pooling files, multi-label), built at test time, served by real runtimes
 * behind ONE router in local mode. Answers are checked against a reference computed here from the graph's own
 * outputs (onnxruntime run directly on the token ids the router reports).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import * as ort from 'onnxruntime-node';
import { ENCODER_FIXTURES } from '../../models/src/fixtures/encoders.js';
import { exportModel, startRouter, type TestRouter } from '../api/router/harness.js';

type Pooling = 'mean' | 'cls' | 'max' | 'lasttoken' | 'graph';

interface Served {
  readonly task: 'embed' | 'classify';
  /** Where the vector comes from: a pooling mode over the token states, or the graph's sentence_embedding. */
  readonly pooling?: Pooling;
  readonly normalized?: boolean;
  /** Longest token row the model takes (max_seq_length, else its positions). */
  readonly window: number;
  readonly scores?: 'softmax' | 'sigmoid';
}

const SERVED: Record<string, Served> = {
  'bert-token-types': { task: 'embed', pooling: 'mean', normalized: true, window: 64 },
  'roberta-embed': { task: 'embed', pooling: 'mean', normalized: true, window: 64 },
  'mpnet-sentence-transformers': { task: 'embed', pooling: 'graph', normalized: true, window: 32 },
  'minilm-feature-extraction': { task: 'embed', pooling: 'mean', normalized: true, window: 24 },
  'bge-cls-pooling': { task: 'embed', pooling: 'cls', normalized: true, window: 64 },
  'max-pooling-unnormalized': { task: 'embed', pooling: 'max', normalized: false, window: 64 },
  'lasttoken-pooling': { task: 'embed', pooling: 'lasttoken', normalized: true, window: 64 },
  'distilbert-sst2': { task: 'classify', scores: 'softmax', window: 64 },
  'bert-multilabel': { task: 'classify', scores: 'sigmoid', window: 64 },
  'reranker-one-label': { task: 'classify', scores: 'sigmoid', window: 64 },
  'distilbert-sst2-fp16': { task: 'classify', scores: 'softmax', window: 64 },
};

const TEXTS = ['The quick brown fox jumps over the lazy dog.', 'Cats and dogs sleep in the warm sun.'];
const LONG = 'Models read text, split words into pieces and embed sentences. '.repeat(12);

const norm = (v: readonly number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const unit = (v: number[]) => v.map((x) => x / norm(v));

/** What the graph itself outputs for one unpadded row of ids. */
async function graphOutputs(session: ort.InferenceSession, ids: readonly number[]) {
  const tensor = (values: number[]) =>
    new ort.Tensor('int64', BigInt64Array.from(values.map(BigInt)), [1, values.length]);
  const available: Record<string, ort.Tensor> = {
    input_ids: tensor([...ids]),
    attention_mask: tensor(ids.map(() => 1)),
    token_type_ids: tensor(ids.map(() => 0)),
  };
  return session.run(Object.fromEntries(session.inputNames.map((n) => [n, available[n]!])));
}

/** The reference embedding of one row: pooled as the model's files say, normalised when they say. */
async function referenceEmbedding(session: ort.InferenceSession, ids: readonly number[], served: Served) {
  const out = await graphOutputs(session, ids);
  let vector: number[];
  if (served.pooling === 'graph') vector = Array.from(out.sentence_embedding!.data as Float32Array);
  else {
    const states = (out.token_embeddings ?? out.last_hidden_state)!;
    const dim = states.dims[2] as number;
    const data = states.data as Float32Array;
    const row = (p: number) => Array.from(data.subarray(p * dim, (p + 1) * dim));
    const rows = ids.map((_, p) => row(p));
    if (served.pooling === 'cls') vector = rows[0]!;
    else if (served.pooling === 'lasttoken') vector = rows.at(-1)!;
    else if (served.pooling === 'max') vector = rows[0]!.map((_, d) => Math.max(...rows.map((r) => r[d]!)));
    else vector = rows[0]!.map((_, d) => rows.reduce((s, r) => s + r[d]!, 0) / rows.length);
  }
  return served.normalized ? unit(vector) : vector;
}

async function referenceScores(session: ort.InferenceSession, ids: readonly number[], served: Served) {
  const logits = Array.from((await graphOutputs(session, ids)).logits!.data as Float32Array);
  if (served.scores === 'sigmoid') return logits.map((x) => 1 / (1 + Math.exp(-x)));
  const exps = logits.map((x) => Math.exp(x - Math.max(...logits)));
  return exps.map((e) => e / exps.reduce((s, x) => s + x, 0));
}

/** transformers' truncation of one sequence: the text's tokens cut, [CLS] and [SEP] kept. */
const truncated = (ids: readonly number[], window: number) =>
  ids.length <= window ? [...ids] : [ids[0]!, ...ids.slice(1, window - 1), ids.at(-1)!];

const expectClose = (actual: readonly number[], expected: readonly number[]) => {
  expect(actual).to.have.length(expected.length);
  for (const [i, x] of actual.entries()) expect(x).to.be.closeTo(expected[i]!, 1e-4);
};

describe('e2e: Hugging Face encoder exports served through the router', function () {
  this.timeout(240_000);
  let root: string;
  let router: TestRouter;
  const sessions: Record<string, ort.InferenceSession> = {};

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'hf-encoders-'));
    const manifests: string[] = [];
    for (const [name, write] of Object.entries(ENCODER_FIXTURES)) {
      const dir = join(root, name);
      await write(dir);
      sessions[name] = await ort.InferenceSession.create(join(dir, 'onnx/model.onnx'));
      const served = SERVED[name]!;
      manifests.push(exportModel(name, dir, [served.task === 'embed' ? 'embedding' : 'text-classification']));
    }
    // Nine runtime processes start at once: on a busy two-core machine that can take over a minute.
    router = await startRouter(manifests, {}, 180_000);
  });
  after(async () => {
    await router?.close();
    for (const s of Object.values(sessions)) await s.release();
    await rm(root, { recursive: true, force: true });
  });

  const tokenIds = async (model: string, text: string): Promise<number[]> => {
    const res = await router.post('/api/inference/analyze', { model_id: model, task: 'tokens', input: text });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    return res.body.results[0].token_ids;
  };
  const analyze = (model: string, input: string | string[], parameters?: Record<string, unknown>) =>
    router.post('/api/inference/analyze', {
      model_id: model,
      task: SERVED[model]!.task,
      input,
      ...(parameters ? { parameters } : {}),
    });

  it('serves every fixture', () => {
    expect(Object.keys(SERVED).sort()).to.deep.equal(Object.keys(ENCODER_FIXTURES).sort());
  });

  for (const [name, served] of Object.entries(SERVED)) {
    if (served.task === 'embed') {
      it(`${name}: /api/inference/analyze embeds as the graph and its files say (${served.pooling}${served.normalized ? ', normalised' : ''})`, async () => {
        const res = await analyze(name, TEXTS);
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        for (const [i, text] of TEXTS.entries()) {
          const expected = await referenceEmbedding(sessions[name]!, await tokenIds(name, text), served);
          expect(res.body.results[i].dimensions).to.equal(16);
          expectClose(res.body.results[i].embedding, expected);
        }
      });
    } else {
      it(`${name}: /api/inference/analyze classifies with ${served.scores} scores`, async () => {
        const res = await analyze(name, TEXTS);
        expect(res.status, JSON.stringify(res.body)).to.equal(200);
        for (const [i, text] of TEXTS.entries()) {
          const expected = await referenceScores(sessions[name]!, await tokenIds(name, text), served);
          const result = res.body.results[i];
          const labels = Object.keys(result.scores);
          expectClose(Object.values(result.scores) as number[], expected);
          expect(result.score).to.equal(Math.max(...expected.map((_, k) => result.scores[labels[k]!])));
          expect(result.label).to.equal(labels[expected.indexOf(Math.max(...expected))]);
        }
      });
    }

    it(`${name}: a text longer than its window (${served.window}) is truncated to it, [CLS] and [SEP] kept`, async () => {
      const ids = await tokenIds(name, LONG);
      expect(ids.length).to.be.greaterThan(served.window);
      const res = await analyze(name, LONG);
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      expect(res.body.usage.input_tokens).to.equal(served.window);
      const kept = truncated(ids, served.window);
      if (served.task === 'embed')
        expectClose(res.body.results[0].embedding, await referenceEmbedding(sessions[name]!, kept, served));
      else
        expectClose(
          Object.values(res.body.results[0].scores) as number[],
          await referenceScores(sessions[name]!, kept, served),
        );
    });
  }

  it('with truncate false, refuses a text longer than the window: 400 naming the parameter', async () => {
    for (const model of ['minilm-feature-extraction', 'distilbert-sst2']) {
      const res = await analyze(model, ['short', LONG], { truncate: false });
      expect(res.status, JSON.stringify(res.body)).to.equal(400);
      expect(JSON.stringify(res.body))
        .to.include('ContextWindowExceeded')
        .and.include("parameter 'truncate'");
    }
  });

  it('a request normalize decides over the model files: false gives the raw pooled vector, true a unit one', async () => {
    const raw = await analyze('minilm-feature-extraction', TEXTS[0]!, { normalize: false });
    const ids = await tokenIds('minilm-feature-extraction', TEXTS[0]!);
    const served = SERVED['minilm-feature-extraction']!;
    expectClose(
      raw.body.results[0].embedding,
      await referenceEmbedding(sessions['minilm-feature-extraction']!, ids, { ...served, normalized: false }),
    );
    const normalized = await analyze('max-pooling-unnormalized', TEXTS[0]!, { normalize: true });
    expect(norm(normalized.body.results[0].embedding)).to.be.closeTo(1, 1e-5);
  });

  it('/v1/embeddings answers 200 with the model dims, truncates, and refuses with truncate false (400, param truncate)', async () => {
    const ok = await router.post('/v1/embeddings', {
      model: 'mpnet-sentence-transformers',
      input: [...TEXTS, LONG],
    });
    expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
    expect(ok.body.data.map((d: { embedding: number[] }) => d.embedding.length)).to.deep.equal([16, 16, 16]);
    const ids = await tokenIds('mpnet-sentence-transformers', TEXTS[0]!);
    expectClose(
      ok.body.data[0].embedding,
      await referenceEmbedding(
        sessions['mpnet-sentence-transformers']!,
        ids,
        SERVED['mpnet-sentence-transformers']!,
      ),
    );
    const refused = await router.post('/v1/embeddings', {
      model: 'roberta-embed',
      input: LONG,
      truncate: false,
    });
    expect(refused.status, JSON.stringify(refused.body)).to.equal(400);
    expect(refused.body.error.message).to.include("parameter 'truncate'");
    const bad = await router.post('/v1/embeddings', { model: 'roberta-embed', input: 'hi', truncate: 'no' });
    expect(bad.status).to.equal(400);
    expect(bad.body.error.param).to.equal('truncate');
  });
});
