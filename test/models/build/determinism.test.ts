/**
 * Builds are reproducible: rebuilding from the same sources, in this thread or in worker threads of
 * the CLI, gives the digests recorded in models/build/digests.json.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { buildModels } from '../../../models/src/build/run.js';
import { BUILD_DIR, DATA_DIR, ensureBuilt, readJson } from '../helpers/artifacts.js';
import { TempDirs } from '../helpers/tmp.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const STALE = 'differs from models/build/digests.json: rebuild it (make models) if the sources changed';

describe('build determinism', function () {
  this.timeout(120_000);
  let recorded: Record<string, string>;
  const tmp = new TempDirs();
  after(() => tmp.removeAll());
  before(async () => {
    await ensureBuilt();
    recorded = readJson(join(BUILD_DIR, 'digests.json'));
  });

  it('rebuilds sentiment-v1 in this thread, twice, to the recorded digest', async () => {
    for (let i = 0; i < 2; i++) {
      const outDir = tmp.make('build');
      const [result] = await buildModels({ outDir, dataDir: DATA_DIR, only: ['sentiment-v1'], threads: 0 });
      expect(result!.digest, STALE).to.equal(recorded['sentiment-v1']);
    }
  });

  it('rebuilds through the CLI on worker threads to the recorded digests, and reports each model', async () => {
    const out = tmp.make('cli');
    const args = ['--import', 'tsx', 'models/src/build.ts', '--out', out, '--threads', '2'];
    const only = ['story-writer-v1', 'sentiment-v1'];
    const { stdout } = await promisify(execFile)(process.execPath, [...args, ...only.flatMap((n) => ['--only', n])], {
      cwd: ROOT,
    });
    const digests = JSON.parse(readFileSync(join(out, 'digests.json'), 'utf8')) as Record<string, string>;
    expect(Object.keys(digests)).to.deep.equal(['sentiment-v1', 'story-writer-v1']);
    for (const name of only) {
      expect(digests[name], `${name} ${STALE}`).to.equal(recorded[name]);
      expect(stdout).to.match(new RegExp(`${name}\\s+params\\s+[\\d,]+\\s+loss \\S+\\s+[\\d.]+ s\\s+sha256:${digests[name]}`));
    }
  });
});
