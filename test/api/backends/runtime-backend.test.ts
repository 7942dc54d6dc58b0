import { status } from '@grpc/grpc-js';
import { expect } from 'chai';
import type { BackendError } from '../../../api/src/backends/backend.js';
import { RuntimeBackend } from '../../../api/src/backends/runtime-backend.js';
import { runtimeFailure } from '../../../api/src/backends/runtime-failures.js';
import { CircuitBreakers } from '../../../api/src/routing/circuit-breaker.js';
import { plainTranscript, templateMessages } from '../../../runtime/src/engine/chat.js';
import { RuntimeCallError } from '../../../runtime/src/errors.js';
import { catalogModel, catalogVersion } from '../support/catalog.js';
import { type RuntimeProcess, startRuntimeProcess } from '../support/runtime-process.js';
import { backendContract } from './backend.contract.js';
import { deadPort, startSilentServer } from './silent-server.js';

/** What the runtime's engine throws for `fn`, as a client reads it: `<Code>: <message>`. */
function thrown(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    return `InvalidTensor: ${(err as Error).message}`;
  }
  throw new Error('expected a refusal');
}

describe('api/backends: runtimeFailure (a runtime status as a failure kind and OpenAI param)', () => {
  const subject = "element 0 of 'messages'";
  const rows: [string, keyof typeof status, string, { kind: string; param?: string }][] = [
    [
      'an answer over the gRPC bound',
      'RESOURCE_EXHAUSTED',
      'Received message larger than max (4764590 vs 4194304)',
      { kind: 'rejected' },
    ],
    [
      'a request over the gRPC bound (the runtime answering)',
      'RESOURCE_EXHAUSTED',
      'Sent message larger than max (70000000 vs. 67108864)',
      { kind: 'rejected' },
    ],
    [
      'a full queue',
      'RESOURCE_EXHAUSTED',
      "QueueFull: the model's queue is full: 1 rows wait and this request adds 1 (MAX_QUEUE_SIZE=1); retry later or on another replica",
      { kind: 'overloaded' },
    ],
    [
      'a runtime going away',
      'UNAVAILABLE',
      'ShuttingDown: the runtime is shutting down',
      { kind: 'unavailable' },
    ],
    [
      'a bad parameter',
      'INVALID_ARGUMENT',
      "InvalidParameter: parameter 'top_k' must be an integer from 1",
      { kind: 'rejected', param: 'top_k' },
    ],
    [
      'logit_bias ids outside the vocabulary (another model may know them)',
      'INVALID_ARGUMENT',
      "InvalidParameter: parameter 'logit_bias' names token ids that are not in the model's vocabulary: 99999",
      { kind: 'unsupported', param: 'logit_bias' },
    ],
    [
      'a tool message for a model without a chat template',
      'INVALID_ARGUMENT',
      thrown(() => plainTranscript([{ role: 'tool', content: '12', tool_call_id: 'c1' }] as never, subject)),
      { kind: 'unsupported', param: 'messages[0]' },
    ],
    [
      'a chat the model template refuses',
      'INVALID_ARGUMENT',
      `InvalidTensor: ${subject}: the model's chat template refused the chat: Conversation roles must alternate user/assistant`,
      { kind: 'unsupported', param: 'messages' },
    ],
    [
      'tool-call arguments that are not a JSON object',
      'INVALID_ARGUMENT',
      thrown(() =>
        templateMessages(
          [
            { role: 'user', content: 'hi' },
            {
              role: 'assistant',
              content: '',
              tool_calls: [{ id: 'c1', type: 'function', function: { name: 'f', arguments: '[1]' } }],
            },
          ] as never,
          subject,
        ),
      ),
      { kind: 'rejected', param: 'messages[1].tool_calls[0].function.arguments' },
    ],
    [
      'a text over the window with truncate false',
      'INVALID_ARGUMENT',
      "ContextWindowExceeded: element 0 of 'text_input' has 600 tokens but the model's context window holds 512; parameter 'truncate' is false, so it is refused instead of truncated",
      { kind: 'rejected', param: 'truncate' },
    ],
    [
      'a chat over the window',
      'INVALID_ARGUMENT',
      "ContextWindowExceeded: element 0 of 'messages' has 600 tokens but the model's context window holds 512",
      { kind: 'rejected', param: 'messages' },
    ],
  ];
  for (const [what, code, message, expected] of rows) {
    it(`reads ${what} as ${expected.kind}${expected.param ? ` (${expected.param})` : ''}`, () => {
      const failure = runtimeFailure(new RuntimeCallError(status[code], message), '127.0.0.1:1');
      expect({
        kind: failure.kind,
        ...(failure.param === undefined ? {} : { param: failure.param }),
      }).to.deep.equal(expected);
    });
  }

  it('says an over-large answer is the request asking too much, with the bound', () => {
    const failure = runtimeFailure(
      new RuntimeCallError(
        status.RESOURCE_EXHAUSTED,
        'Received message larger than max (4764590 vs 4194304)',
      ),
      '127.0.0.1:1',
    );
    expect(failure.message).to.match(
      /^the answer \(or the request\) is larger than the router accepts .*64 MiB/,
    );
    expect(failure.message).to.include('4764590');
  });

  it('names the runtime by its model and version, never by its (internal) address', () => {
    const failure = runtimeFailure(
      new RuntimeCallError(
        status.UNAVAILABLE,
        'No connection established. Last error: connect ECONNREFUSED 10.0.0.5:9000 (10.0.0.5:9000)',
      ),
      '10.0.0.5:9000',
      'runtime of model m v1',
    );
    expect(failure.message).to.equal(
      'runtime of model m v1: UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED runtime of model m v1 (runtime of model m v1)',
    );
    expect(failure.cause, 'the raw error, which a log would quote').to.equal(undefined);
  });
});

describe('api/backends: RuntimeBackend (real runtime processes over gRPC)', function () {
  this.timeout(60_000);
  let writer: RuntimeProcess;
  let writer2: RuntimeProcess;
  let embedder: RuntimeProcess;
  let silent: Awaited<ReturnType<typeof startSilentServer>>;
  let dead: number;
  const backend = new RuntimeBackend(new CircuitBreakers({ failureThreshold: 1000, cooldownMs: 1000 }));

  const target = (model: string, capabilities: string[], addresses: string[]) => {
    const version = { ...catalogVersion('v1', { model }), addresses };
    return { model: catalogModel(model, [version], { capabilities: capabilities as never }), version };
  };

  before(async () => {
    [writer, writer2, embedder] = await Promise.all([
      startRuntimeProcess('story-writer-v2', 'story-writer', 'v1'),
      startRuntimeProcess('story-writer-v2', 'story-writer', 'v1'),
      startRuntimeProcess('sentence-embedder-v1', 'sentence-embedder', 'v1'),
    ]);
    silent = await startSilentServer();
    dead = await deadPort();
  });
  after(async () => {
    backend.close();
    await Promise.all([writer?.stop(), writer2?.stop(), embedder?.stop(), silent?.close()]);
  });

  backendContract('RuntimeBackend', () => ({
    backend,
    generator: target('story-writer', ['text-generation'], [writer.address]),
    embedder: target('sentence-embedder', ['embedding'], [embedder.address]),
    dead: target('story-writer', ['text-generation'], [`127.0.0.1:${dead}`]),
    silent: target('story-writer', ['text-generation'], [silent.address]),
    // Longer than the test models' context window: a prompt that cannot fit is the request's fault.
    rejectNext: () => 'Tom had a small red boat. '.repeat(1000),
  }));

  const ctx = () => ({ deadline: Date.now() + 5000, requestId: 'r' });
  const chat = { kind: 'chat', messages: [{ role: 'user', content: 'Mia found a blue' }] } as const;

  it('a runtime it cannot reach fails without its address in the message', async () => {
    const t = target('story-writer', ['text-generation'], [`127.0.0.1:${dead}`]);
    const failure = await backend.generate(t, chat, { maxTokens: 4 }, ctx()).then(
      () => expect.fail('served by a dead runtime'),
      (e: BackendError) => e,
    );
    expect(failure.kind).to.equal('unavailable');
    expect(failure.message).to.match(/^runtime of model story-writer /);
    expect(failure.message).to.not.include(String(dead)).and.not.include('127.0.0.1');
  });

  it('streams token by token: text arrives in several events before the done event', async () => {
    const t = target('story-writer', ['text-generation'], [writer.address]);
    const events: string[] = [];
    for await (const event of backend.stream(t, chat, { maxTokens: 12, temperature: 0 }, ctx()))
      events.push(event.type);
    expect(events.filter((e) => e === 'text').length).to.be.greaterThan(1);
    expect(events.at(-1)).to.equal('done');
  });

  it('reads a full runtime queue (RESOURCE_EXHAUSTED) as overloaded, which the router may retry elsewhere', async () => {
    const small = await startRuntimeProcess('story-writer-v2', 'story-writer', 'v1', {
      MAX_QUEUE_SIZE: '1',
      MAX_BATCH_SIZE: '1',
    });
    try {
      const t = target('story-writer', ['text-generation'], [small.address]);
      const outcomes = await Promise.all(
        Array.from({ length: 12 }, () =>
          backend.generate(t, chat, { maxTokens: 24 }, ctx()).then(
            () => 'ok',
            (e: BackendError) => e.kind,
          ),
        ),
      );
      expect(outcomes).to.include('ok');
      expect(outcomes).to.include('overloaded');
      expect(outcomes.filter((o) => o !== 'ok' && o !== 'overloaded')).to.deep.equal([]);
    } finally {
      await small.stop();
    }
  });

  it('receives an answer larger than 4 MiB (grpc-js default bound): n 8 with 20 logprobs a token', async () => {
    const t = target('story-writer', ['text-generation'], [writer.address]);
    const out = await backend.generate(
      t,
      { kind: 'completion', prompt: 'Tom had' },
      // The biases keep the end-of-text tokens away, so every choice runs its 500 tokens.
      {
        n: 8,
        logprobs: true,
        topLogprobs: 20,
        maxTokens: 500,
        temperature: 1,
        seed: 1,
        logitBias: { '912': -100, '914': -100 },
      },
      { deadline: Date.now() + 50_000, requestId: 'r' },
    );
    // 4,000 tokens with 20 alternatives each come to about 4.7 MB on the wire, over grpc-js's 4 MiB default.
    expect(out.outputTokens).to.equal(4000);
    expect(out.choices?.map((c) => c.logprobs?.length)).to.deep.equal(Array(8).fill(500));
    expect(out.choices?.[7]?.logprobs?.[499]?.top).to.have.length(20);
  });

  it('sends a request larger than 4 MiB (grpc-js default bound): 45 texts of 100,000 characters to embed', async () => {
    const t = target('sentence-embedder', ['embedding'], [embedder.address]);
    const texts = Array.from({ length: 45 }, (_, i) => `${i} ${'Tom had a small red boat. '.repeat(4000)}`);
    const out = await backend.embed(t, texts, {}, { deadline: Date.now() + 50_000, requestId: 'r' });
    expect(out.embeddings).to.have.length(45);
  });

  it('reads the runtime refusing logit_bias ids outside its vocabulary as unsupported (another target may serve it)', async () => {
    const t = target('story-writer', ['text-generation'], [writer.address]);
    const failure = await backend.generate(t, chat, { maxTokens: 2, logitBias: { '99999': 5 } }, ctx()).then(
      () => undefined,
      (e: BackendError) => e,
    );
    expect(failure?.kind).to.equal('unsupported');
    expect(failure?.param).to.equal('logit_bias');
  });

  it('names truncate as the param when a text over the window is refused (truncate false)', async () => {
    const t = target('sentence-embedder', ['embedding'], [embedder.address]);
    const failure = await backend
      .embed(t, ['Tom had a small red boat. '.repeat(200)], { truncate: false }, ctx())
      .then(
        () => undefined,
        (e: BackendError) => e,
      );
    expect(failure?.kind).to.equal('rejected');
    expect(failure?.param).to.equal('truncate');
  });

  it('balances round robin across the ready runtimes of a version', async () => {
    const t = target('story-writer', ['text-generation'], [writer.address, writer2.address]);
    const seen = new Set<string>();
    const { RuntimeClient } = await import('../../../runtime/src/client/index.js');
    for (let i = 0; i < 4; i++) {
      await backend.generate(t, chat, { maxTokens: 2 }, ctx());
    }
    // Each runtime counts what it served (its metadata does not, so ask the channels: both were opened).
    for (const address of [writer.address, writer2.address]) {
      const client = new RuntimeClient(address);
      expect(await client.serverReady()).to.equal(true);
      client.close();
      seen.add(address);
    }
    expect(seen.size).to.equal(2);
  });

  it('skips a dead runtime once its circuit opens, serving from the other one with no failed call', async () => {
    const tight = new RuntimeBackend(new CircuitBreakers({ failureThreshold: 1, cooldownMs: 60_000 }));
    const t = target('story-writer', ['text-generation'], [`127.0.0.1:${dead}`, writer.address]);
    const outcomes: string[] = [];
    for (let i = 0; i < 4; i++) {
      outcomes.push(
        await tight.generate(t, chat, { maxTokens: 2 }, ctx()).then(
          () => 'ok',
          (e: BackendError) => e.kind,
        ),
      );
    }
    // The first call may hit the dead runtime (and opens its circuit); after that every call is served.
    expect(outcomes.slice(1)).to.deep.equal(['ok', 'ok', 'ok']);
    tight.close();
  });
});
