import { expect } from 'chai';
import { DecodeScheduler, heldBack } from '../../../runtime/src/engine/decode-scheduler.js';
import type { GenerationPlan } from '../../../runtime/src/engine/generation-plan.js';
import type { Decoder } from '../../../runtime/src/engine/generator.js';
import type { TextTokenizer } from '../../../runtime/src/engine/tokenizer.js';
import { EngineError, RequestTooLargeError } from '../../../runtime/src/errors.js';

describe('streaming hold-back (heldBack)', () => {
  const table: [string, string[], number][] = [
    ['no stop strings: nothing held', ['Once upon'], 0],
    ['an end that starts no stop string', ['Once upon a', ' time', 'The'], 0],
    ['held: " ti" could become " time"', [' ti', ' time'], 3],
    ['held: a trailing half character', ['caf\uFFFD', 'é!'], 1],
    ['held: the longest end that starts any stop', ['so THE E', 'THE END', 'E'], 5],
  ];
  for (const [given, [text, ...stops], expected] of table) {
    it(`given ${given}, holds back ${expected}`, () => {
      expect(heldBack(text as string, stops)).to.equal(expected);
    });
  }
});

/** A decoder over 4 tokens that always makes token 1 the most likely; its caches are just step counts. */
const decoder: Decoder = {
  async step(rows) {
    return { logits: rows.map(() => Float32Array.from([0, 5, 1, 2])), caches: rows.map(() => ({}) as never) };
  },
};
const tokenizer = {
  decode: (ids: readonly number[]) => ids.map((id) => `t${id}`).join(' '),
  tokens: (ids: readonly number[]) => ids.map((id) => `t${id}`),
} as unknown as TextTokenizer;
const plan: GenerationPlan = {
  maxNewTokens: 3,
  sampling: undefined,
  seed: 0n,
  stop: [],
  adjustments: undefined,
  logprobs: undefined,
};

describe('DecodeScheduler failures', () => {
  it('given a failure outside any one sequence (a hook throws), fails every active and waiting sequence with an EngineError, none unhandled', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const broken = new Error('metrics backend gone');
      const scheduler = new DecodeScheduler(
        decoder,
        tokenizer,
        new Set([0]),
        { maxBatchSize: 2, maxBatchWaitMs: 0, maxQueueSize: 8 },
        {
          batch: () => {
            throw broken;
          },
        },
      );
      const prompt = [3, 2];
      const pending = scheduler.submit([1, 2, 3].map(() => ({ promptIds: prompt, plan })));
      const outcome = await Promise.allSettled(pending);
      expect(outcome.map((o) => o.status)).to.deep.equal(['rejected', 'rejected', 'rejected']);
      for (const o of outcome) {
        const reason = (o as PromiseRejectedResult).reason as EngineError;
        expect(reason).to.be.instanceOf(EngineError);
        expect(reason.cause).to.equal(broken);
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(unhandled).to.deep.equal([]);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });

  it('given a request whose onText throws, fails that sequence only; the others finish', async () => {
    const scheduler = new DecodeScheduler(decoder, tokenizer, new Set([0]), {
      maxBatchSize: 4,
      maxBatchWaitMs: 0,
      maxQueueSize: 8,
    });
    const [failing, fine] = scheduler.submit([
      {
        promptIds: [3],
        plan,
        onText: () => {
          throw new Error('client went away');
        },
      },
      { promptIds: [2], plan },
    ]);
    const outcome = await Promise.allSettled([failing, fine]);
    expect((outcome[0] as PromiseRejectedResult).reason).to.be.instanceOf(EngineError);
    expect((outcome[1] as PromiseFulfilledResult<{ text: string }>).value.text).to.equal('t1 t1 t1');
  });

  it('given B prompts x n choices beyond MAX_QUEUE_SIZE, refuses them naming the count and the limit', () => {
    const scheduler = new DecodeScheduler(decoder, tokenizer, new Set([0]), {
      maxBatchSize: 4,
      maxBatchWaitMs: 0,
      maxQueueSize: 32,
    });
    const prompts = Array.from({ length: 8 }, (_, i) => [i + 1]);
    const requests = prompts.flatMap((promptIds) => Array.from({ length: 8 }, () => ({ promptIds, plan })));
    expect(() => scheduler.submit(requests)).to.throw(
      RequestTooLargeError,
      '8 prompts x n 8 = 64 sequences exceed MAX_QUEUE_SIZE 32',
    );
    expect(() =>
      scheduler.submit(prompts.map((promptIds) => ({ promptIds, plan })).concat(requests.slice(0, 25))),
    ).to.throw(RequestTooLargeError, '33 sequences exceed MAX_QUEUE_SIZE 32');
  });
});

describe('DecodeScheduler metric hooks', () => {
  it('reports each sequence its queue wait when admitted, and its time per token after the first when it ends', async () => {
    const waits: number[] = [];
    const perToken: number[] = [];
    const scheduler = new DecodeScheduler(
      decoder,
      tokenizer,
      new Set([0]),
      // One slot: the second sequence waits in the queue while the first decodes its three tokens.
      { maxBatchSize: 1, maxBatchWaitMs: 0, maxQueueSize: 8 },
      { queueWait: (s) => waits.push(s), timePerOutputToken: (s) => perToken.push(s) },
    );
    const results = await Promise.all(
      scheduler.submit([
        { promptIds: [3], plan },
        { promptIds: [2], plan },
        { promptIds: [2], plan: { ...plan, maxNewTokens: 1 } },
      ]),
    );
    expect(results.map((r) => r.completionTokens)).to.deep.equal([3, 3, 1]);
    expect(waits).to.have.length(3);
    // Admitted in order, each after the one before it finished.
    expect(waits[1]).to.be.greaterThan(waits[0] as number);
    expect(waits[2]).to.be.greaterThan(waits[1] as number);
    // A one-token sequence has no token after its first.
    expect(perToken).to.have.length(2);
    for (const s of perToken) expect(s).to.be.greaterThan(0).and.lessThan(1);
  });
});
