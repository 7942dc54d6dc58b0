import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { ArtifactFiles } from '../../../models/src/build/artifact.js';
import { updateDigests, writeArtifact } from '../../../models/src/build/write.js';
import { artifactDigest } from '../../../runtime/src/model-store/digest.js';
import { TempDirs } from '../helpers/tmp.js';

function artifact(version: number) {
  return new ArtifactFiles()
    .json('config.json', { version })
    .bytes('onnx/model.onnx', Uint8Array.of(1, 2, version))
    .done('m', { paramCount: 1, finalLoss: 0.5, detail: 'test' });
}

describe('writing artifacts', () => {
  const tmp = new TempDirs();
  after(() => tmp.removeAll());

  it('writes the model directory and returns its directory digest', async () => {
    const out = tmp.make('write');
    const digest = await writeArtifact(out, artifact(1));
    expect(digest).to.equal(await artifactDigest(join(out, 'm')));
    expect(JSON.parse(readFileSync(join(out, 'm', 'config.json'), 'utf8'))).to.deep.equal({ version: 1 });
  });

  it('replaces an existing directory whole, leaving no stale files or temporaries', async () => {
    const out = tmp.make('write');
    await writeArtifact(out, artifact(1));
    writeFileSync(join(out, 'm', 'stale.txt'), 'old');
    const digest = await writeArtifact(out, artifact(2));
    expect(readdirSync(join(out, 'm')).sort()).to.deep.equal(['config.json', 'onnx']);
    expect(readdirSync(out)).to.deep.equal(['m']);
    expect(digest).to.not.equal(await writeArtifact(tmp.make('write'), artifact(1)));
  });

  it('merges digests.json with sorted keys', async () => {
    const out = tmp.make('write');
    await updateDigests(out, { b: '2', a: '1' });
    const merged = await updateDigests(out, { c: '3', a: '9' });
    expect(merged).to.deep.equal({ a: '9', b: '2', c: '3' });
    expect(readFileSync(join(out, 'digests.json'), 'utf8')).to.equal('{\n  "a": "9",\n  "b": "2",\n  "c": "3"\n}\n');
  });
});
