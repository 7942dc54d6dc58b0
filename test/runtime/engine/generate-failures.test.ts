import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { loadConfig } from '../../../runtime/src/config.js';
import type { DecodeScheduler } from '../../../runtime/src/engine/decode-scheduler.js';
import { loadModel } from '../../../runtime/src/engine/load.js';
import type { LoadedModel } from '../../../runtime/src/engine/model.js';
import { EngineError, RequestCancelledError, RequestTooLargeError } from '../../../runtime/src/errors.js';
import { modelDir } from '../helpers/runtime.js';

/** The built story-writer, loaded in-process with room for 64 sequences at once. */
async function storyWriter(maxQueueSize = 256): Promise<LoadedModel> {
  const dir = modelDir('story-writer-v1');
  const config = loadConfig({
    MODEL_NAME: 'story-writer',
    MODEL_VERSION: 'v1',
    MODEL_ARTIFACT_URI: pathToFileURL(dir).href,
    LOG_LEVEL: 'silent',
  });
  return loadModel(dir, config.configuration, {
    engine: config.engine,
    batching: { maxBatchSize: 16, maxBatchWaitMs: 0, maxQueueSize },
  });
}

/** Records what the process reports while `run` runs (and one turn of the event loop after). */
async function watchProcess<T>(run: () => Promise<T>) {
  const warnings: Error[] = [];
  const unhandled: unknown[] = [];
  const onWarning = (warning: Error) => warnings.push(warning);
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on('warning', onWarning);
  process.on('unhandledRejection', onUnhandled);
  try {
    const result = await run().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    return { ...result, warnings, unhandled };
  } finally {
    process.off('warning', onWarning);
    process.off('unhandledRejection', onUnhandled);
  }
}

describe('generation failures and large requests on the story-writer (LoadedModel.generate)', () => {
  let model: LoadedModel;
  before(async () => {
    model = await storyWriter();
  });
  after(async () => {
    await model?.release();
  });

  it('given 8 prompts x n 8 (64 sequences on one abort signal), generates them all with no process warning', async () => {
    const prompts = Array.from({ length: 8 }, (_, i) => `Once upon a time ${i}`);
    const watched = await watchProcess(() =>
      model.generate(prompts, { n: 8, maxTokens: 3, temperature: 1, seed: 1n }),
    );
    expect(watched.warnings.map((w) => `${w.name}: ${w.message}`)).to.deep.equal([]);
    expect('value' in watched && watched.value.rows).to.have.length(64);
  });

  it('given an onDelta callback that throws, the request rejects with EngineError wrapping it, its other choices stop, and nothing goes unhandled', async () => {
    const boom = new Error('the stream is gone');
    let calls = 0;
    const other = model.generate(['The dragon'], { maxTokens: 6, seed: 2n });
    const watched = await watchProcess(() =>
      model.generate(
        ['Once upon a time'],
        { n: 3, maxTokens: 20, temperature: 1, seed: 3n },
        undefined,
        () => {
          calls++;
          throw boom;
        },
      ),
    );
    // Each choice has its own callback; siblings stop once the first failure is seen.
    expect(calls).to.be.within(1, 3);
    expect('error' in watched && watched.error).to.be.instanceOf(EngineError);
    const error = (watched as { error: EngineError }).error;
    expect(error.message).to.equal('generation failed: the stream is gone');
    expect(error.cause).to.equal(boom);
    expect(watched.unhandled).to.deep.equal([]);
    // Another request in the same batch is not affected.
    expect((await other).rows[0]?.completionTokens).to.be.greaterThan(0);
    // The model still generates afterwards.
    expect((await model.generate(['Again'], { maxTokens: 2, seed: 4n })).rows).to.have.length(1);
  });

  it('given a scheduler submission whose onText throws, that sequence rejects and its siblings settle', async () => {
    // The scheduler itself, without generate's sibling cancellation: every promise must settle.
    const scheduler = (model as unknown as { parts: { engine: { scheduler: DecodeScheduler } } }).parts.engine
      .scheduler;
    const promptIds = [1, 2, 3];
    const plan = (maxNewTokens: number) => ({
      maxNewTokens,
      sampling: undefined,
      seed: 0n,
      stop: [],
      adjustments: undefined,
      logprobs: undefined,
    });
    const controller = new AbortController();
    const watched = await watchProcess(async () => {
      const [failing, ...siblings] = scheduler.submit([
        {
          promptIds,
          plan: plan(8),
          signal: controller.signal,
          onText: () => {
            throw new Error('onText failed');
          },
        },
        { promptIds, plan: plan(8), signal: controller.signal },
        { promptIds, plan: plan(8), signal: controller.signal },
      ]);
      const outcome = await Promise.allSettled([failing, ...siblings]);
      return outcome;
    });
    const outcome = (watched as { value: PromiseSettledResult<unknown>[] }).value;
    expect(outcome[0]?.status).to.equal('rejected');
    expect((outcome[0] as PromiseRejectedResult).reason).to.be.instanceOf(EngineError);
    expect(outcome.slice(1).map((o) => o.status)).to.deep.equal(['fulfilled', 'fulfilled']);
    expect(watched.unhandled).to.deep.equal([]);
  });
});

describe('a request larger than the whole queue (LoadedModel.generate)', () => {
  let model: LoadedModel;
  before(async () => {
    model = await storyWriter(32);
  });
  after(async () => {
    await model?.release();
  });

  it('given 8 prompts x n 8 and MAX_QUEUE_SIZE 32 on an idle model, refuses it as INVALID_ARGUMENT RequestTooLarge, not QueueFull', async () => {
    const prompts = Array.from({ length: 8 }, (_, i) => `Prompt ${i}`);
    const error = await model.generate(prompts, { n: 8, maxTokens: 2 }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(RequestTooLargeError);
    expect((error as RequestTooLargeError).message).to.equal(
      '8 prompts x n 8 = 64 sequences exceed MAX_QUEUE_SIZE 32; send fewer per request',
    );
    expect((error as RequestTooLargeError).retryable).to.equal(false);
    // 32 fit.
    expect((await model.generate(prompts.slice(0, 4), { n: 8, maxTokens: 1 })).rows).to.have.length(32);
  });

  it('given a cancelled signal before the loop runs, every sequence of the request is cancelled', async () => {
    const controller = new AbortController();
    const pending = model.generate(['Once'], { n: 4, maxTokens: 50 }, controller.signal);
    controller.abort();
    const error = await pending.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(RequestCancelledError);
  });
});
