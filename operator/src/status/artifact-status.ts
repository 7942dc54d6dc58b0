/**
 * `status.artifact` of a ModelVersion, from what its replicas say about their artifact fetch: IPC messages of
 * local runtimes, or probes and termination messages of pods in a cluster. Pure; both targets use it.
 * @module
 */
import type { ModelVersion, ModelVersionStatus } from '../../../crds/src/index.js';
import { type DownloadStatus, describeDownload } from '../../../runtime/src/model-store/progress.js';
import { Reason } from '../conditions.js';

export type ArtifactStatus = NonNullable<ModelVersionStatus['artifact']>;
export type ArtifactState = NonNullable<ArtifactStatus['state']>;

/** What one replica (a local process or a pod) tells about its artifact. */
export interface ReplicaArtifact {
  /** Its model is loaded and it serves. */
  readonly serving: boolean;
  /** The latest fetch it reported (remote artifacts only; file:// directories report none). */
  readonly download?: DownloadStatus;
  /** Why its last start failed, if it failed (only artifact reasons matter here). */
  readonly failure?: { readonly reason: string; readonly message: string };
}

const OF_DOWNLOAD: Readonly<Record<DownloadStatus['state'], ArtifactState>> = {
  local: 'Ready',
  cached: 'Ready',
  ready: 'Ready',
  pending: 'Pending',
  downloading: 'Downloading',
  verifying: 'Verifying',
  // Unpacking an archive is the last step of making a verified cache entry.
  extracting: 'Verifying',
  failed: 'Invalid',
};

/** Furthest from serving first: the replica a person waits for (or must fix) names the version's state. */
const RANK: readonly ArtifactState[] = [
  'Invalid',
  'Unavailable',
  'Pending',
  'Downloading',
  'Verifying',
  'Ready',
];

interface ReplicaView {
  readonly state: ArtifactState;
  readonly download?: DownloadStatus;
  readonly message?: string;
}

function failureState(reason: string): ArtifactState | undefined {
  if (reason === Reason.ArtifactInvalid) return 'Invalid';
  if (reason === Reason.ArtifactUnavailable) return 'Unavailable';
  return undefined;
}

function viewOf(replica: ReplicaArtifact): ReplicaView | undefined {
  const failed = replica.failure ? failureState(replica.failure.reason) : undefined;
  const { download } = replica;
  // What the replica does now wins over how its previous start ended (a restarted runtime fetches again).
  if (download && download.state !== 'failed') {
    return { state: OF_DOWNLOAD[download.state], download, message: describeDownload(download) };
  }
  if (failed) return { state: failed, message: replica.failure?.message };
  if (download) return { state: 'Invalid', download, message: describeDownload(download) };
  return replica.serving ? { state: 'Ready' } : undefined;
}

/**
 * The version's artifact status: the state of the replica furthest from serving, with its bytes and a
 * message; `digest` once every replica serves a pinned sha256 (the runtime refuses anything else). Undefined
 * while no replica has said anything.
 */
export function artifactStatus(
  version: ModelVersion,
  replicas: readonly ReplicaArtifact[],
): ArtifactStatus | undefined {
  const views = replicas.map(viewOf).filter((v): v is ReplicaView => v !== undefined);
  if (views.length === 0) return undefined;
  const worst = views.reduce((a, b) => (RANK.indexOf(b.state) < RANK.indexOf(a.state) ? b : a));
  const status: ArtifactStatus = { state: worst.state };
  const sha256 = version.spec.artifact?.sha256;
  const allReady = views.length === replicas.length && views.every((v) => v.state === 'Ready');
  if (allReady && sha256) status.digest = sha256;
  if (worst.download && worst.state !== 'Ready') {
    status.bytesDownloaded = worst.download.bytesDownloaded;
    if (worst.download.bytesTotal > 0) status.bytesTotal = worst.download.bytesTotal;
  }
  if (worst.message && worst.state !== 'Ready') {
    const others = replicas.length > 1 ? ` (the furthest behind of ${replicas.length} replicas)` : '';
    status.message = `${worst.message}${others}`.slice(0, 4096);
  }
  return status;
}
