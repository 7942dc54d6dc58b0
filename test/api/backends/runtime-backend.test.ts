import { expect } from 'chai';
import type { BackendError } from '../../../api/src/backends/backend.js';
import { RuntimeBackend } from '../../../api/src/backends/runtime-backend.js';
import { CircuitBreakers } from '../../../api/src/routing/circuit-breaker.js';
import { catalogModel, catalogVersion } from '../support/catalog.js';
import { type RuntimeProcess, startRuntimeProcess } from '../support/runtime-process.js';
import { backendContract } from './backend.contract.js';
import { deadPort, startSilentServer } from './silent-server.js';

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
