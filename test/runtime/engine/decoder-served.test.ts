/**
 * A decoder exported without a KV cache, served by a real runtime: it generates (recomputing the sequence
 * each step) and the runtime logs once, at load, that it serves it without a cache and why that is slow.
 */
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { DECODER_FIXTURES } from '../../../models/src/fixtures/decoders.js';
import { RuntimeClient } from '../../../runtime/src/client/index.js';
import { loadConfig } from '../../../runtime/src/config.js';
import { createLogger } from '../../../runtime/src/logger.js';
import { RuntimeServer } from '../../../runtime/src/server/server.js';
import { TempDirs } from '../../models/helpers/tmp.js';

const dirs = new TempDirs();

describe('a decoder without a KV cache, served (gpt2-no-cache)', function () {
  this.timeout(60_000);
  const lines: Record<string, unknown>[] = [];
  let server: RuntimeServer;
  let client: RuntimeClient;

  before(async () => {
    const dir = dirs.make('no-cache');
    await (DECODER_FIXTURES['gpt2-no-cache'] as (dir: string) => Promise<void>)(dir);
    const config = loadConfig({
      MODEL_NAME: 'no-cache',
      MODEL_VERSION: 'v1',
      MODEL_ARTIFACT_URI: pathToFileURL(dir).href,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      LOG_LEVEL: 'info',
    });
    const destination = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    server = new RuntimeServer({ config, logger: createLogger(config, destination) });
    const port = await server.listen();
    client = new RuntimeClient(`127.0.0.1:${port}`);
    await server.load();
  });

  after(async () => {
    client?.close();
    await server?.shutdown(2000);
    dirs.removeAll();
  });

  it('generates, and says once at load that it recomputes the whole sequence each token', async () => {
    const request = {
      model: 'no-cache',
      version: 'v1',
      prompt: 'The robot liked',
      maxTokens: 6,
      temperature: 0,
    };
    const [a, b] = [await client.generate(request), await client.generate(request)];
    expect(a.text).to.equal(b.text);
    expect(a.completionTokens).to.be.within(1, 6);
    const warnings = lines.filter((l) => l.level === 'warn' && l.decoder === 'recompute');
    expect(warnings).to.have.length(1);
    expect(warnings[0]?.msg).to.include('no KV cache').and.include('recomputes the whole sequence');
  });
});
