import { expect } from 'chai';
import { expectCallError, startRuntime, type TestRuntime } from '../helpers/runtime.js';

const cosine = (a: number[], b: number[]) => a.reduce((sum, x, i) => sum + x * (b[i] as number), 0);
const norm = (v: number[]) => Math.sqrt(cosine(v, v));

const POSITIVE = 'The staff were friendly and the food was wonderful.';
const NEGATIVE = 'The room was dirty and the staff were rude.';

describe('classification over gRPC (sentiment-v1, real ONNX)', () => {
  let rt: TestRuntime;
  const target = { model: 'sentiment', version: 'v1' };
  before(async () => {
    rt = await startRuntime('sentiment-v1');
  });
  after(() => rt?.stop());

  it('labels clearly positive and negative sentences, with probabilities over both labels', async () => {
    const { results, promptTokens } = await rt.client.classify({ ...target, texts: [POSITIVE, NEGATIVE] });
    expect(results.map((r) => r.label)).to.deep.equal(['POSITIVE', 'NEGATIVE']);
    for (const result of results) {
      expect(Object.keys(result.scores)).to.deep.equal(['NEGATIVE', 'POSITIVE']);
      expect(result.scores.NEGATIVE! + result.scores.POSITIVE!).to.be.closeTo(1, 1e-5);
      expect(result.score).to.equal(result.scores[result.label]);
      expect(result.score).to.be.greaterThan(0.5);
    }
    const counts = await Promise.all(
      [POSITIVE, NEGATIVE].map((text) => rt.client.tokenize({ ...target, text })),
    );
    expect(promptTokens).to.equal(counts[0]!.ids.length + counts[1]!.ids.length);
  });

  it('gives a padded batch row the same scores as the text alone', async () => {
    const short = 'great';
    const [alone, batch] = await Promise.all([
      rt.client.classify({ ...target, texts: [short] }),
      rt.client.classify({ ...target, texts: [NEGATIVE, short] }),
    ]);
    expect(batch.results[1]!.scores.POSITIVE).to.be.closeTo(alone.results[0]!.scores.POSITIVE!, 1e-5);
  });

  it('with top_k 1, keeps only the best label', async () => {
    const { results } = await rt.client.classify({ ...target, texts: [POSITIVE], topK: 1 });
    expect(Object.keys(results[0]!.scores)).to.deep.equal(['POSITIVE']);
  });

  it('with truncate false, rejects a text longer than the context window (max_position_embeddings)', async () => {
    await expectCallError(
      rt.client.classify({ ...target, texts: ['ok', 'great '.repeat(200)], truncate: false }),
      'INVALID_ARGUMENT',
      "ContextWindowExceeded: element 1 of 'text_input' has",
    );
  });

  it('truncates a text longer than the context window by default, to the window', async () => {
    const long = await rt.client.classify({ ...target, texts: ['great '.repeat(200)] });
    const { ids } = await rt.client.tokenize({ ...target, text: 'great '.repeat(200) });
    expect(ids.length).to.be.greaterThan(128);
    expect(long.promptTokens).to.equal(128); // sentiment-v1's max_position_embeddings
    expect(long.results[0]!.label).to.be.oneOf(['POSITIVE', 'NEGATIVE']);
  });

  it('tokenizes with the BERT template: [CLS] ... [SEP]', async () => {
    const { tokens, ids } = await rt.client.tokenize({ ...target, text: 'great' });
    expect(tokens[0]).to.equal('[CLS]');
    expect(tokens.at(-1)).to.equal('[SEP]');
    expect(ids).to.have.length(tokens.length);
  });

  it('refuses tasks the model cannot do', async () => {
    await expectCallError(
      rt.client.embed({ ...target, texts: ['x'] }),
      'INVALID_ARGUMENT',
      "UnsupportedTask: model 'sentiment' cannot embed; it supports classify and tokenize",
    );
    await expectCallError(
      rt.client.classify({ ...target, texts: ['x'], topK: 3 }),
      'INVALID_ARGUMENT',
      "parameter 'top_k' must be an integer from 1 to 2, got 3",
    );
  });
});

describe('embeddings over gRPC (sentence-embedder-v1, real ONNX)', () => {
  let rt: TestRuntime;
  const target = { model: 'sentence-embedder', version: 'v1' };
  before(async () => {
    rt = await startRuntime('sentence-embedder-v1');
  });
  after(() => rt?.stop());

  it('returns unit-length vectors of the model size, one per text', async () => {
    const metadata = await rt.client.modelMetadata('sentence-embedder', 'v1');
    const dim = metadata.outputs[0]!.shape[1]!;
    const { embeddings, promptTokens } = await rt.client.embed({
      ...target,
      texts: ['Boil the pasta.', 'Heavy rain is expected.'],
    });
    expect(embeddings).to.have.length(2);
    for (const e of embeddings) {
      expect(e).to.have.length(dim);
      expect(norm(e)).to.be.closeTo(1, 1e-5);
    }
    expect(promptTokens).to.be.greaterThan(4);
  });

  it('places related sentences closer than unrelated ones', async () => {
    const { embeddings } = await rt.client.embed({
      ...target,
      texts: [
        'Chop the garlic and fry it in oil.',
        'Stir the sauce and add a little salt.',
        'Strong winds and cold rain tonight.',
      ],
    });
    const [garlic, sauce, wind] = embeddings as [number[], number[], number[]];
    expect(cosine(garlic, sauce)).to.be.greaterThan(cosine(garlic, wind));
  });

  it('with normalize false, returns the raw mean, parallel to the normalised one', async () => {
    const texts = ['Chop the garlic and fry it in oil.'];
    const [raw, unit] = await Promise.all([
      rt.client.embed({ ...target, texts, normalize: false }),
      rt.client.embed({ ...target, texts }),
    ]);
    const r = raw.embeddings[0]!;
    expect(norm(r)).to.not.be.closeTo(1, 1e-3);
    expect(cosine(r, unit.embeddings[0]!) / norm(r)).to.be.closeTo(1, 1e-5);
  });

  it('gives a padded batch row the same vector as the text alone', async () => {
    const [alone, batch] = await Promise.all([
      rt.client.embed({ ...target, texts: ['Snow.'] }),
      rt.client.embed({ ...target, texts: ['Strong winds blew across the coast all night.', 'Snow.'] }),
    ]);
    expect(cosine(alone.embeddings[0]!, batch.embeddings[1]!)).to.be.closeTo(1, 1e-5);
  });
});
