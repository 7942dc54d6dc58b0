/**
 * The unary wrapper over real grpc-js: a caller that gives up (deadline) aborts the handler's signal, so the
 * work stops; a call that was answered is never aborted afterwards (grpc-js reports every closed call as
 * 'cancelled', and aborting then would cost a DOMException per call for nobody).
 */
import {
  credentials,
  type handleUnaryCall,
  loadPackageDefinition,
  Server,
  ServerCredentials,
  status,
} from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import { expect } from 'chai';
import { pino } from 'pino';
import protobuf from 'protobufjs';
import { unary } from '../../../runtime/src/server/unary.js';

const root = protobuf.Root.fromJSON({
  nested: {
    t: {
      nested: {
        Msg: { fields: { text: { type: 'string', id: 1 } } },
        Echo: { methods: { Say: { requestType: 'Msg', responseType: 'Msg', comment: '' } } },
      },
    },
  },
});

describe('runtime/server/unary: cancellation', () => {
  const signals: AbortSignal[] = [];
  let server: Server;
  let client: any;

  before(async () => {
    const definition = loadPackageDefinition(fromJSON(root.toJSON())) as any;
    server = new Server();
    const handler = unary<{ text: string }, { text: string }>(
      pino({ level: 'silent' }),
      'Say',
      async (req, ctx) => {
        signals.push(ctx.signal);
        if (req.text === 'hang') {
          await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
        }
        return { text: req.text };
      },
    );
    server.addService(definition.t.Echo.service, { Say: handler as handleUnaryCall<unknown, unknown> });
    const port = await new Promise<number>((ok, fail) =>
      server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
        err ? fail(err) : ok(p),
      ),
    );
    client = new definition.t.Echo(`127.0.0.1:${port}`, credentials.createInsecure());
  });
  after(() => {
    client?.close();
    server?.forceShutdown();
  });

  const say = (text: string, deadlineMs = 5000) =>
    new Promise<{ err: any; res: any }>((resolve) =>
      client.Say({ text }, { deadline: Date.now() + deadlineMs }, (err: any, res: any) =>
        resolve({ err, res }),
      ),
    );

  it('aborts the handler when the caller gives up', async () => {
    const { err } = await say('hang', 200);
    expect(err.code).to.equal(status.DEADLINE_EXCEEDED);
    const signal = signals.at(-1) as AbortSignal;
    for (let i = 0; i < 50 && !signal.aborted; i++) await new Promise((r) => setTimeout(r, 20));
    expect(signal.aborted).to.equal(true);
  });

  it('never aborts a call it answered, even after the call closed', async () => {
    const { res } = await say('hello');
    expect(res.text).to.equal('hello');
    const signal = signals.at(-1) as AbortSignal;
    // Give grpc-js time to close the stream and emit its events.
    await new Promise((r) => setTimeout(r, 200));
    expect(signal.aborted).to.equal(false);
  });
});
