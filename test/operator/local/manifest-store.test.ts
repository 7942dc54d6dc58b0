import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { ManifestStore } from '../../../operator/src/local/manifest-store.js';

const logger = pino({ level: 'silent' });
const model = (name: string, extra = '') =>
  `apiVersion: ai.paissive.io/v1alpha1\nkind: AIModel\nmetadata: {name: ${name}}\nspec: {provider: onnx, capabilities: [embedding]${extra}}\n`;

describe('operator/local: ManifestStore (real files)', () => {
  let dir: string;
  let store: ManifestStore;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'manifests-'));
  });
  afterEach(async () => {
    store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('loads every YAML file (nested folders too), reports bad documents and duplicate names', async () => {
    await writeFile(join(dir, 'a.yaml'), `${model('a')}---\n${model('b')}`);
    await writeFile(join(dir, 'bad.yml'), model('Bad_Name'));
    await writeFile(
      join(dir, 'dup.json'),
      JSON.stringify({
        apiVersion: 'ai.paissive.io/v1alpha1',
        kind: 'AIModel',
        metadata: { name: 'a' },
        spec: { provider: 'onnx', capabilities: ['chat'] },
      }),
    );
    await writeFile(join(dir, 'notes.txt'), 'ignored');
    store = new ManifestStore({ dir, logger });
    await store.load();
    const snapshot = store.snapshot();
    expect(snapshot.aiModels.map((m) => m.metadata.name)).to.deep.equal(['a', 'b']);
    expect(snapshot.errors.map((e) => e.message).join('\n'))
      .to.include('metadata.name')
      .and.include('duplicate AIModel a');
    expect(snapshot.aiModels[0]?.metadata).to.include({ namespace: 'default', generation: 1 });
  });

  it('picks up edits without a restart, bumping generation only when the spec changed and keeping status', async () => {
    await writeFile(join(dir, 'a.yaml'), model('a'));
    store = new ManifestStore({ dir, logger });
    await store.load();
    store.watch();
    store.setAIModelStatus('a', { ready: '0/0' });

    const changed = once(store, 'change');
    await writeFile(join(dir, 'a.yaml'), model('a', ', fallbacks: [b]'));
    await changed;
    const a = store.snapshot().aiModels[0];
    expect(a?.metadata.generation).to.equal(2);
    expect(a?.spec.fallbacks).to.deep.equal(['b']);
    expect(a?.status).to.deep.equal({ ready: '0/0' });

    const added = once(store, 'change');
    await writeFile(join(dir, 'c.yaml'), model('c'));
    await added;
    expect(store.snapshot().aiModels.map((m) => m.metadata.name)).to.deep.equal(['a', 'c']);
    expect(store.snapshot().aiModels[0]?.metadata.generation).to.equal(2);
  });

  it('setStatus reports whether anything changed (no churn for identical status)', async () => {
    await writeFile(join(dir, 'a.yaml'), model('a'));
    store = new ManifestStore({ dir, logger });
    await store.load();
    expect(store.setAIModelStatus('a', { ready: '1/1' })).to.equal(true);
    expect(store.setAIModelStatus('a', { ready: '1/1' })).to.equal(false);
    expect(store.setAIModelStatus('missing', { ready: '1/1' })).to.equal(false);
  });
});
