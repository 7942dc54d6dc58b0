import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import { ArtifactInvalidError, ArtifactUnavailableError } from '../../../runtime/src/errors.js';
import {
  artifactPath,
  modelGraph,
  REQUIRED_FILES,
  resolveArtifact,
} from '../../../runtime/src/model-store/artifact.js';
import { artifactDigest } from '../../../runtime/src/model-store/digest.js';

describe('model artifacts', () => {
  describe('artifactPath', () => {
    it('given file:///abs/path, returns the path', () => {
      expect(artifactPath('file:///models/story-writer-v1')).to.equal('/models/story-writer-v1');
      expect(artifactPath('file://localhost/models/a%20b')).to.equal('/models/a b');
    });
    const invalid: [string, string][] = [
      ['https://example.com/m.tar.gz', "artifact URI 'https://example.com/m.tar.gz' is not a file:// URI"],
      ['ftp://host/m', "artifact URI scheme 'ftp' is not supported; use file://, https://, http:// or s3://"],
      ['models/story-writer', "artifact URI 'models/story-writer' is not a valid URI (expected file:///dir"],
      [
        'file://server/share/m',
        "artifact URI 'file://server/share/m' names host 'server'; file URIs must be local",
      ],
    ];
    for (const [uri, message] of invalid) {
      it(`given ${uri}, throws ArtifactInvalidError "${message}"`, () => {
        expect(() => artifactPath(uri)).to.throw(ArtifactInvalidError, message);
      });
    }
  });

  describe('resolveArtifact', () => {
    let root: string;
    let dir: string;
    let uri: string;
    beforeEach(async () => {
      root = await mkdtemp(join(tmpdir(), 'runtime-artifact-'));
      dir = join(root, 'model');
      uri = pathToFileURL(dir).href;
      await mkdir(join(dir, 'onnx'), { recursive: true });
      for (const file of [...REQUIRED_FILES, 'onnx/model.onnx'])
        await writeFile(join(dir, file), `contents of ${file}`);
    });
    afterEach(() => rm(root, { recursive: true, force: true }));

    it('given a complete directory and no sha256, resolves it without hashing', async () => {
      expect(await resolveArtifact(uri)).to.deep.equal({ dir });
    });

    it('given the right sha256, resolves it', async () => {
      const sha256 = await artifactDigest(dir);
      expect(await resolveArtifact(uri, sha256)).to.deep.equal({ dir, sha256 });
    });

    it('given a wrong sha256, names the expected and the actual digest', async () => {
      const actual = await artifactDigest(dir);
      const error = await resolveArtifact(uri, '0'.repeat(64)).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ArtifactInvalidError);
      expect((error as Error).message).to.equal(
        `sha256 mismatch for ${dir}: expected ${'0'.repeat(64)}, actual ${actual}`,
      );
    });

    it('given a missing file, names it, and what graphs it expected and found', async () => {
      await rm(join(dir, 'tokenizer_config.json'));
      await rm(join(dir, 'onnx/model.onnx'));
      await writeFile(join(dir, 'onnx/encoder_model.onnx'), 'a seq2seq encoder');
      const error = await resolveArtifact(uri).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ArtifactInvalidError);
      expect((error as Error).message).to.match(
        new RegExp(
          `^artifact directory ${dir} lacks tokenizer_config.json; no ONNX graph: expected onnx/model.onnx .*; the ONNX files present are onnx/encoder_model.onnx$`,
        ),
      );
    });

    const graphs: [string, string[]][] = [
      ['only onnx/model_quantized.onnx', ['onnx/model_quantized.onnx']],
      [
        'only onnx/model_q4f16.onnx and its external data',
        ['onnx/model_q4f16.onnx', 'onnx/model_q4f16.onnx_data'],
      ],
      ['an older merged decoder', ['onnx/decoder_model_merged.onnx']],
      ['an Optimum CLI export (graph at the top)', ['model.onnx']],
    ];
    for (const [what, files] of graphs) {
      it(`accepts a directory with ${what}`, async () => {
        await rm(join(dir, 'onnx/model.onnx'));
        for (const file of files) await writeFile(join(dir, file), file);
        expect(await resolveArtifact(uri)).to.deep.equal({ dir });
      });
    }

    it('refuses at load a graph file that is not an ONNX model', async () => {
      const error = await modelGraph(dir).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ArtifactInvalidError);
      expect((error as Error).message).to.match(
        /onnx\/model\.onnx is not an ONNX model: unsupported wire type/,
      );
    });

    it('refuses a graph whose external data chunks have a gap', async () => {
      await writeFile(join(dir, 'onnx/model.onnx_data'), '0');
      await writeFile(join(dir, 'onnx/model.onnx_data_2'), '2');
      const error = await resolveArtifact(uri).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(ArtifactInvalidError);
      expect((error as Error).message).to.include('lacks onnx/model.onnx_data_1');
    });

    it('given a missing directory, ArtifactUnavailable (it may appear: a volume not mounted yet)', async () => {
      const missing = await resolveArtifact(pathToFileURL(join(root, 'nope')).href).catch((e: unknown) => e);
      expect(missing).to.be.instanceOf(ArtifactUnavailableError);
      expect((missing as Error).message).to.equal(`artifact directory ${join(root, 'nope')} does not exist`);
    });

    it('given a file instead of a directory, ArtifactInvalid', async () => {
      const file = await resolveArtifact(pathToFileURL(join(dir, 'config.json')).href).catch(
        (e: unknown) => e,
      );
      expect(file).to.be.instanceOf(ArtifactInvalidError);
      expect((file as Error).message).to.equal(
        `artifact directory ${join(dir, 'config.json')} is not a directory`,
      );
    });
  });
});
