import { expect } from 'chai';
import { expectCallError, startRuntime, type TestRuntime } from '../helpers/runtime.js';

const TEXTS = [
  'what a lovely kind robot',
  'the soup was cold and awful',
  'a bright and happy garden',
  'the broken old car was terrible',
  'my friend was gentle and warm',
  'the rain ruined a sad day',
  'we laughed at the wonderful show',
  'the dull grey room felt awful',
];

/** `runtime_batch_size` as count and sum: how many onnxruntime runs, and how many rows they held. */
async function batches(rt: TestRuntime): Promise<{ count: number; sum: number }> {
  const text = await rt.server.metrics.registry.getSingleMetricAsString('runtime_batch_size');
  const read = (name: string) =>
    Number(
      new RegExp(`^runtime_batch_size_${name}\\{model="[^"]+",version="v1"\\} (\\S+)$`, 'm').exec(text)?.[1],
    );
  return { count: read('count'), sum: read('sum') };
}

describe('dynamic batching over gRPC', () => {
  let rt: TestRuntime;
  after(() => rt?.stop());

  it('runs concurrent classify requests as padded batches, each row scoring as it does alone', async () => {
    rt = await startRuntime('sentiment-v1', { env: { MAX_BATCH_SIZE: '16', MAX_BATCH_WAIT_MS: '50' } });
    const together = await Promise.all(
      TEXTS.map((text) => rt.client.classify({ model: 'sentiment', texts: [text] })),
    );
    const runs = await batches(rt);
    expect(runs.sum).to.equal(TEXTS.length);
    expect(runs.count).to.be.below(TEXTS.length / 2);
    for (const [i, text] of TEXTS.entries()) {
      const alone = await rt.client.classify({ model: 'sentiment', texts: [text] });
      expect(together[i]?.results[0]?.label, text).to.equal(alone.results[0]?.label);
      for (const [label, p] of Object.entries(alone.results[0]?.scores ?? {})) {
        expect(together[i]?.results[0]?.scores[label]).to.be.closeTo(p, 1e-5);
      }
    }
  });

  it('batches embeddings and still normalises per request', async () => {
    const embedder = await startRuntime('sentence-embedder-v1', {
      env: { MAX_BATCH_SIZE: '8', MAX_BATCH_WAIT_MS: '50' },
    });
    try {
      const [unit, raw] = await Promise.all([
        embedder.client.embed({ model: 'sentence-embedder', texts: ['the cat sat on the mat'] }),
        embedder.client.embed({
          model: 'sentence-embedder',
          texts: ['the cat sat on the mat'],
          normalize: false,
        }),
      ]);
      expect((await batches(embedder)).count).to.equal(1);
      const norm = Math.hypot(...(raw.embeddings[0] as number[]));
      expect(Math.hypot(...(unit.embeddings[0] as number[]))).to.be.closeTo(1, 1e-5);
      (unit.embeddings[0] as number[]).forEach((x, d) => {
        expect(x).to.be.closeTo((raw.embeddings[0]?.[d] as number) / norm, 1e-5);
      });
    } finally {
      await embedder.stop();
    }
  });

  it('turns overload into RESOURCE_EXHAUSTED QueueFull at once, which the client marks retryable', async () => {
    const writer = await startRuntime('story-writer-v1', {
      env: { MAX_BATCH_SIZE: '1', MAX_QUEUE_SIZE: '2' },
    });
    try {
      const request = { model: 'story-writer', prompt: 'The farmer had three white goats.', maxTokens: 40 };
      const outcomes = await Promise.allSettled(
        Array.from({ length: 8 }, () => writer.client.generate(request)),
      );
      const refused = outcomes.filter((o) => o.status === 'rejected');
      expect(refused.length).to.be.at.least(1);
      expect(outcomes.filter((o) => o.status === 'fulfilled').length).to.be.at.least(2);
      const error = await expectCallError(
        Promise.reject((refused[0] as PromiseRejectedResult).reason),
        'RESOURCE_EXHAUSTED',
        "QueueFull: the model's queue is full: 2 rows wait and this request adds 1 (MAX_QUEUE_SIZE=2)",
      );
      expect(error.retryable).to.equal(true);
      const rejections = await writer.server.metrics.registry.getSingleMetricAsString(
        'runtime_queue_rejections_total',
      );
      expect(rejections).to.include(
        `runtime_queue_rejections_total{model="story-writer",version="v1"} ${refused.length}`,
      );
    } finally {
      await writer.stop();
    }
  });
});
