/**
 * External data files are part of the verified artifact: an https directory's SHA256SUMS names them (an S3
 * prefix lists them), they land in the cache beside the graph, and the model loads from there; one left out of
 * the manifest is refused at load, naming the file.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { writeBertModelDir } from '../../../models/src/fixtures/bert.js';
import { relayGraphFile } from '../../../models/src/fixtures/files.js';
import { loadConfig } from '../../../runtime/src/config.js';
import { loadModel } from '../../../runtime/src/engine/load.js';
import { ArtifactInvalidError } from '../../../runtime/src/errors.js';
import { modelGraph } from '../../../runtime/src/model-store/artifact.js';
import { directoryFiles, manifestDigest, manifestText } from '../../../runtime/src/model-store/digest.js';
import { ModelStore } from '../../../runtime/src/model-store/store.js';
import { type FileServer, startFileServer } from '../helpers/file-server.js';
import { requireS3 } from '../helpers/s3-server.js';

const GRAPH = 'onnx/model_q4f16.onnx';
const CHUNKS = ['onnx/model_q4f16.onnx_data', 'onnx/model_q4f16.onnx_data_1'];
const base = {
  MODEL_NAME: 'export',
  MODEL_VERSION: 'v1',
  MODEL_ARTIFACT_URI: 'file:///unused',
  EXECUTION_PROVIDER: 'cpu',
};
const { engine, batching } = loadConfig(base);
const options = { engine, batching };

describe('model store: external data files of https and s3 directories', () => {
  let root: string;
  let server: FileServer;
  let store: ModelStore;
  let entries: { path: string; sha256: string }[];

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'external-store-'));
    const dir = join(root, 'export');
    await writeBertModelDir(dir, { modelType: 'distilbert', withTokenTypeIds: false, outputs: ['logits'] });
    await relayGraphFile(dir, 'onnx/model.onnx', { dtype: 'q4f16', externalData: { chunks: 2 } });
    server = await startFileServer();
    entries = [];
    for (const path of await directoryFiles(dir)) {
      const bytes = await readFile(join(dir, path));
      server.put(`/full/${path}`, bytes);
      server.put(`/partial/${path}`, bytes);
      entries.push({ path, sha256: createHash('sha256').update(bytes).digest('hex') });
    }
    server.put('/full/SHA256SUMS', Buffer.from(manifestText(entries)));
    server.put('/partial/SHA256SUMS', Buffer.from(manifestText(entries.filter((e) => e.path !== CHUNKS[1]))));
  });
  after(async () => {
    await server.close();
    await rm(root, { recursive: true, force: true });
  });
  beforeEach(async () => {
    store = new ModelStore({
      config: {
        cache: { dir: await mkdtemp(join(root, 'cache-')), maxBytes: 1e9 },
        download: { maxAttempts: 2, stallTimeoutMs: 5000 },
        s3: { region: 'us-east-1', forcePathStyle: true },
      },
      logger: pino({ level: 'silent' }),
      backoffMs: 5,
    });
  });

  it('fetches and verifies every chunk SHA256SUMS names, and the model loads from the cache', async () => {
    const resolved = await store.fetch(`${server.url}/full/`, manifestDigest(entries)).result;
    expect(await modelGraph(resolved.dir, 'q4f16')).to.deep.equal({
      graph: GRAPH,
      dtype: 'q4f16',
      externalData: CHUNKS,
    });
    const model = await loadModel(resolved.dir, { dtype: 'q4f16' }, options);
    expect(model.task).to.equal('classify');
    await model.release();
  });

  it('an s3:// prefix brings every object under it, the chunks included', async function () {
    const s3 = await requireS3(this);
    try {
      for (const { path } of entries)
        await s3.put('models', `export/${path}`, await readFile(join(root, 'export', path)));
      const config = loadConfig({ ...base, ...s3.env, MODEL_CACHE_DIR: join(root, 's3-cache') });
      const s3store = new ModelStore({ config, logger: pino({ level: 'silent' }), backoffMs: 5 });
      const resolved = await s3store.fetch('s3://models/export/', manifestDigest(entries)).result;
      s3store.close();
      expect((await directoryFiles(resolved.dir)).filter((f) => f.startsWith('onnx/')).sort()).to.deep.equal([
        GRAPH,
        ...CHUNKS,
      ]);
      await (await loadModel(resolved.dir, { dtype: 'q4f16' }, options)).release();
    } finally {
      await s3.stop();
    }
  });

  it('a chunk left out of SHA256SUMS is ArtifactInvalid at load, naming it', async () => {
    const resolved = await store.fetch(`${server.url}/partial/`).result;
    const error = await loadModel(resolved.dir, { dtype: 'q4f16' }, options).catch((e: unknown) => e);
    expect(error).to.be.instanceOf(ArtifactInvalidError);
    expect((error as Error).message).to.include(
      `${GRAPH} keeps weights in ${CHUNKS[1]}, which the artifact lacks (data files present: ${CHUNKS[0]})`,
    );
  });
});
