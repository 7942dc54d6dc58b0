import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { RuntimeClient } from '../../../runtime/src/client/index.js';
import { loadConfig } from '../../../runtime/src/config.js';
import { createLogger } from '../../../runtime/src/logger.js';
import { loadConfiguredModel } from '../../../runtime/src/server/model-manager.js';
import { RuntimeServer } from '../../../runtime/src/server/server.js';
import { expectCallError, modelDir } from '../helpers/runtime.js';

/** A loader that loads the real model, but only once the test opens the gate. */
function gatedLoader() {
  let open: () => void = () => undefined;
  let gate = Promise.resolve();
  return {
    close() {
      gate = new Promise((resolve) => {
        open = resolve;
      });
    },
    open: () => open(),
    loader: async (...args: Parameters<typeof loadConfiguredModel>) => {
      await gate;
      return loadConfiguredModel(...args);
    },
  };
}

describe('model states while loading and reloading (story-writer-v1)', () => {
  const gated = gatedLoader();
  let server: RuntimeServer;
  let client: RuntimeClient;
  const request = { model: 'story-writer', prompt: 'Tom had a small red boat.', maxTokens: 3 };

  before(async () => {
    const config = loadConfig({
      MODEL_NAME: 'story-writer',
      MODEL_VERSION: 'v1',
      MODEL_ARTIFACT_URI: pathToFileURL(modelDir('story-writer-v1')).href,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: '0',
      LOG_LEVEL: 'silent',
    });
    server = new RuntimeServer({ config, logger: createLogger(config), loader: gated.loader });
    client = new RuntimeClient(`127.0.0.1:${await server.listen()}`);
  });
  after(async () => {
    client.close();
    await server.shutdown(1000);
  });

  it('is LOADING, NOT_SERVING and UNAVAILABLE until the first load completes, then READY', async () => {
    gated.close();
    const loading = server.load();
    expect(await client.repositoryIndex()).to.deep.equal([
      { name: 'story-writer', version: 'v1', state: 'LOADING', reason: 'loading' },
    ]);
    expect(await client.health()).to.equal('NOT_SERVING');
    expect(await client.modelReady('story-writer')).to.equal(false);
    await expectCallError(
      client.generate(request),
      'UNAVAILABLE',
      "ModelNotReady: model 'story-writer' is not ready: loading",
    );
    gated.open();
    await loading;
    expect((await client.repositoryIndex())[0]).to.include({ state: 'READY' });
    expect(await client.health()).to.equal('SERVING');
  });

  it('keeps serving the loaded model while a reload is in progress', async () => {
    gated.close();
    const reloading = server.load();
    expect(await client.repositoryIndex()).to.deep.equal([
      { name: 'story-writer', version: 'v1', state: 'READY', reason: 'reloading' },
    ]);
    expect(await client.health()).to.equal('SERVING');
    expect((await client.generate(request)).completionTokens).to.be.greaterThan(0);
    gated.open();
    await reloading;
    expect((await client.repositoryIndex())[0]).to.include({ state: 'READY', reason: '' });
  });
});
