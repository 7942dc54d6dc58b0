import { mkdtemp, rm, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { parseAllDocuments } from 'yaml';
import { StoreCatalog } from '../../../api/src/catalog/store-catalog.js';
import { ManifestStore } from '../../../operator/src/local/manifest-store.js';
import { catalogContract } from './catalog.contract.js';

describe('api/catalog: StoreCatalog (manifest folder)', () => {
  let dir: string;
  let store: ManifestStore;
  let catalog: StoreCatalog;
  const addresses = new Map<string, string[]>();

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'catalog-'));
    store = new ManifestStore({ dir, logger: pino({ level: 'silent' }) });
    await store.load();
    store.watch();
    catalog = new StoreCatalog(store, (mv) => addresses.get(mv.metadata.name) ?? []);
  });
  after(async () => {
    store.close();
    await rm(dir, { recursive: true, force: true });
  });

  catalogContract('StoreCatalog', () => ({
    catalog,
    async apply(yaml) {
      // One file per object, as people keep them, so a later delete removes just that object.
      for (const doc of parseAllDocuments(yaml)) {
        const o = doc.toJS() as { kind: string; metadata: { name: string } };
        await writeFile(join(dir, `${o.kind}-${o.metadata.name}.yaml`), doc.toString());
      }
    },
    async publish(version, status, list) {
      addresses.set(version, list);
      store.setModelVersionStatus(version, status);
    },
    async delete(kind, name) {
      await unlink(join(dir, `${kind}-${name}.yaml`));
    },
  }));
});
