import { expect } from 'chai';
import { ArtifactInvalidError } from '../../../runtime/src/errors.js';
import { parseDownloadReason } from '../../../runtime/src/model-store/progress.js';
import { parseArtifactUri, safeRelativePath } from '../../../runtime/src/model-store/uri.js';

describe('artifact URIs', () => {
  const valid: [string, Record<string, unknown>][] = [
    ['file:///models/m', { scheme: 'file', path: '/models/m' }],
    [
      's3://models/sentiment/v1/model.tar.gz',
      { scheme: 's3', bucket: 'models', key: 'sentiment/v1/model.tar.gz', layout: 'archive' },
    ],
    ['s3://models/embedder/v1', { scheme: 's3', bucket: 'models', key: 'embedder/v1/', layout: 'directory' }],
    [
      's3://models/embedder/v1/',
      { scheme: 's3', bucket: 'models', key: 'embedder/v1/', layout: 'directory' },
    ],
    ['s3://models/m.tgz', { scheme: 's3', bucket: 'models', key: 'm.tgz', layout: 'archive' }],
  ];
  for (const [uri, expected] of valid) {
    it(`given ${uri}, returns ${JSON.stringify(expected)}`, () => {
      expect(parseArtifactUri(uri)).to.deep.include(expected);
    });
  }

  it('given https archives and directories, keeps the URL and tells them apart', () => {
    expect(parseArtifactUri('https://cdn.example/m/model.tar.gz')).to.include({
      scheme: 'http',
      layout: 'archive',
    });
    expect(parseArtifactUri('http://store.svc:8080/m/')).to.include({ scheme: 'http', layout: 'directory' });
  });

  const invalid: [string, string][] = [
    [
      'https://cdn.example/m/model.onnx',
      "is neither a .tar.gz/.tgz archive nor a directory ending in '/' (which must serve SHA256SUMS)",
    ],
    ['https://cdn.example/m.tar.gz?sig=1', 'must not carry a query or fragment'],
    ['s3://bucket', 'must name a bucket and a key: s3://bucket/key'],
    ['gs://bucket/m.tar.gz', "artifact URI scheme 'gs' is not supported"],
  ];
  for (const [uri, message] of invalid) {
    it(`given ${uri}, throws ArtifactInvalidError "${message}"`, () => {
      expect(() => parseArtifactUri(uri)).to.throw(ArtifactInvalidError, message);
    });
  }

  for (const path of ['../etc/passwd', '/abs', 'a//b', 'a/./b', 'onnx/..']) {
    it(`given the listed path ${path}, refuses it as unsafe`, () => {
      expect(() => safeRelativePath('s3://b/k', path)).to.throw(
        ArtifactInvalidError,
        `unsafe path '${path}'`,
      );
    });
  }

  const reasons: [string, unknown][] = [
    [
      'downloading: 1048576 of 4194304 bytes',
      { state: 'downloading', bytesDownloaded: 1048576, bytesTotal: 4194304 },
    ],
    ['pending: 0 bytes', { state: 'pending', bytesDownloaded: 0, bytesTotal: 0 }],
    ['loading', undefined],
    ['reloading', undefined],
    [
      'reloading: verifying: 4194304 of 4194304 bytes',
      { state: 'verifying', bytesDownloaded: 4194304, bytesTotal: 4194304 },
    ],
    ['reload failed, still serving the previous load: ArtifactInvalid: sha256 mismatch', undefined],
  ];
  for (const [reason, expected] of reasons) {
    it(`given the RepositoryIndex reason "${reason}", parseDownloadReason returns ${JSON.stringify(expected)}`, () => {
      expect(parseDownloadReason(reason)).to.deep.equal(expected);
    });
  }
});
