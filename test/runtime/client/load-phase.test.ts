import { expect } from 'chai';
import { type LoadPhase, loadPhaseOf, type ModelIndexEntry } from '../../../runtime/src/client/index.js';

const entry = (state: ModelIndexEntry['state'], reason: string): ModelIndexEntry => ({
  name: 'sentiment',
  version: 'v1',
  state,
  reason,
});

describe('loadPhaseOf: where the latest load stands, from a RepositoryIndex entry', () => {
  const cases: [ModelIndexEntry, LoadPhase][] = [
    [entry('READY', ''), { phase: 'ready' }],
    [entry('LOADING', 'loading'), { phase: 'loading', serving: false }],
    [
      entry('LOADING', 'downloading: 10 of 40 bytes'),
      {
        phase: 'loading',
        serving: false,
        download: { state: 'downloading', bytesDownloaded: 10, bytesTotal: 40 },
      },
    ],
    [entry('READY', 'reloading'), { phase: 'loading', serving: true }],
    [
      entry('READY', 'reloading: downloading: 10 bytes'),
      {
        phase: 'loading',
        serving: true,
        download: { state: 'downloading', bytesDownloaded: 10, bytesTotal: 0 },
      },
    ],
    [
      entry(
        'READY',
        'reload failed, still serving the previous load: ArtifactInvalid: sha256 mismatch for x',
      ),
      {
        phase: 'failed',
        serving: true,
        code: 'ArtifactInvalid',
        message: 'ArtifactInvalid: sha256 mismatch for x',
      },
    ],
    [
      entry('UNAVAILABLE', 'ArtifactUnavailable: 5 tries without progress'),
      {
        phase: 'failed',
        serving: false,
        code: 'ArtifactUnavailable',
        message: 'ArtifactUnavailable: 5 tries without progress',
      },
    ],
    [entry('UNAVAILABLE', 'unloaded'), { phase: 'failed', serving: false, message: 'unloaded' }],
  ];
  for (const [given, expected] of cases) {
    it(`${given.state} "${given.reason}" is ${JSON.stringify(expected)}`, () => {
      expect(loadPhaseOf(given)).to.deep.equal(expected);
    });
  }
});
