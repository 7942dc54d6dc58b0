import { expect } from 'chai';
import type { ModelVersion } from '../../../crds/src/index.js';
import { Reason } from '../../../operator/src/conditions.js';
import { artifactStatus, type ReplicaArtifact } from '../../../operator/src/status/artifact-status.js';

const sha = 'b'.repeat(64);
const version: ModelVersion = {
  apiVersion: 'ai.paissive.io/v1alpha1',
  kind: 'ModelVersion',
  metadata: { name: 'm-v1' },
  spec: {
    model: 'm',
    version: 'v1',
    default: true,
    deprecated: false,
    replicas: 2,
    artifact: { uri: 's3://b/m.tar.gz', sha256: sha },
  },
};
const downloading = (bytesDownloaded: number, bytesTotal = 1000): ReplicaArtifact => ({
  serving: false,
  download: { state: 'downloading', bytesDownloaded, bytesTotal },
});
const serving: ReplicaArtifact = {
  serving: true,
  download: { state: 'ready', bytesDownloaded: 1000, bytesTotal: 1000 },
};

describe('operator/status: artifactStatus', () => {
  const cases: [string, readonly ReplicaArtifact[], unknown][] = [
    ['no replica has said anything', [{ serving: false }], undefined],
    [
      'a replica waiting for the store',
      [{ serving: false, download: { state: 'pending', bytesDownloaded: 0, bytesTotal: 0 } }],
      { state: 'Pending', bytesDownloaded: 0, message: 'pending: 0 bytes' },
    ],
    [
      'one replica downloading',
      [downloading(250)],
      {
        state: 'Downloading',
        bytesDownloaded: 250,
        bytesTotal: 1000,
        message: 'downloading: 250 of 1000 bytes',
      },
    ],
    [
      'an archive being unpacked',
      [{ serving: false, download: { state: 'extracting', bytesDownloaded: 9, bytesTotal: 9 } }],
      { state: 'Verifying', bytesDownloaded: 9, bytesTotal: 9, message: 'extracting: 9 of 9 bytes' },
    ],
    [
      'every replica serving a pinned artifact',
      [serving, { serving: true, download: { state: 'cached', bytesDownloaded: 0, bytesTotal: 0 } }],
      { state: 'Ready', digest: sha },
    ],
    ['a file:// artifact served (no fetch reported)', [{ serving: true }], { state: 'Ready', digest: sha }],
    [
      'one replica serving, one downloading: the slower one names the state',
      [serving, downloading(10)],
      {
        state: 'Downloading',
        bytesDownloaded: 10,
        bytesTotal: 1000,
        message: 'downloading: 10 of 1000 bytes (the furthest behind of 2 replicas)',
      },
    ],
    [
      'a replica whose start failed on a corrupted artifact',
      [
        serving,
        {
          serving: false,
          failure: { reason: Reason.ArtifactInvalid, message: 'ArtifactInvalid: sha256 mismatch' },
        },
      ],
      { state: 'Invalid', message: 'ArtifactInvalid: sha256 mismatch (the furthest behind of 2 replicas)' },
    ],
    [
      'a replica whose store was unreachable',
      [
        {
          serving: false,
          failure: { reason: Reason.ArtifactUnavailable, message: 'ArtifactUnavailable: cannot fetch' },
        },
      ],
      { state: 'Unavailable', message: 'ArtifactUnavailable: cannot fetch' },
    ],
    [
      'a restarted replica fetching again after the store was unreachable',
      [{ ...downloading(5), failure: { reason: Reason.ArtifactUnavailable, message: 'x' } }],
      { state: 'Downloading', bytesDownloaded: 5, bytesTotal: 1000, message: 'downloading: 5 of 1000 bytes' },
    ],
    [
      'a failure that is not about the artifact',
      [{ serving: false, failure: { reason: Reason.ModelLoadFailed, message: 'x' } }],
      undefined,
    ],
    [
      'a fetch that failed while the old load still serves (a reload)',
      [{ serving: true, download: { state: 'failed', bytesDownloaded: 3, bytesTotal: 1000 } }],
      { state: 'Invalid', bytesDownloaded: 3, bytesTotal: 1000, message: 'failed: 3 of 1000 bytes' },
    ],
  ];
  for (const [what, replicas, expected] of cases) {
    it(`given ${what}, returns ${expected === undefined ? 'nothing' : (expected as { state: string }).state}`, () => {
      expect(artifactStatus(version, replicas)).to.deep.equal(expected);
    });
  }

  it('gives no digest when the sha256 is not pinned (nothing vouches for the bytes)', () => {
    const unpinned = { ...version, spec: { ...version.spec, artifact: { uri: 'https://x/m.tar.gz' } } };
    expect(artifactStatus(unpinned, [serving])).to.deep.equal({ state: 'Ready' });
  });
});
