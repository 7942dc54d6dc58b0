/**
 * The state of one artifact fetch, as RepositoryIndex, ModelMetadata, IPC and metrics report it.
 *
 * One object per resolve: the store moves it through the states and adds bytes as they land; listeners get a
 * `change` on every state change and at most every `throttleMs` for bytes, so a fast download cannot flood the
 * IPC channel or the log.
 * @module
 */
import { EventEmitter } from 'node:events';

/**
 * - `local`: a file:// artifact, nothing to fetch;
 * - `cached`: found verified in the cache, nothing fetched;
 * - `pending` → `downloading` → `verifying` (→ `extracting` for archives) → `ready`;
 * - `failed`: the fetch or the verification failed (the reason is the load's error).
 */
export const DOWNLOAD_STATES = [
  'local',
  'cached',
  'pending',
  'downloading',
  'verifying',
  'extracting',
  'ready',
  'failed',
] as const;
export type DownloadState = (typeof DOWNLOAD_STATES)[number];

/** States in which the artifact is being fetched, verified or unpacked (rather than found, or done). */
export const FETCHING_STATES: ReadonlySet<DownloadState> = new Set([
  'pending',
  'downloading',
  'verifying',
  'extracting',
]);

export interface DownloadStatus {
  readonly state: DownloadState;
  readonly bytesDownloaded: number;
  /** 0 while unknown (a server that sends no length, or a directory not listed yet). */
  readonly bytesTotal: number;
}

export class DownloadProgress extends EventEmitter<{ change: [DownloadStatus]; bytes: [number] }> {
  private current: DownloadStatus = { state: 'pending', bytesDownloaded: 0, bytesTotal: 0 };
  private lastEmit = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly throttleMs = 500) {
    super();
  }

  get status(): DownloadStatus {
    return this.current;
  }

  /** Moves to `state`; listeners hear it at once. */
  set(state: DownloadState): void {
    if (state === this.current.state) return;
    this.current = { ...this.current, state };
    this.emitNow();
  }

  /** Adds (or, after a server restarted a file from byte 0, removes) downloaded bytes. */
  add(bytes: number): void {
    this.current = { ...this.current, bytesDownloaded: this.current.bytesDownloaded + bytes };
    if (bytes > 0) this.emit('bytes', bytes);
    this.emitThrottled();
  }

  /** Grows the expected total as sizes become known. */
  expect(bytes: number): void {
    this.current = { ...this.current, bytesTotal: this.current.bytesTotal + bytes };
    this.emitThrottled();
  }

  private emitThrottled(): void {
    const wait = this.lastEmit + this.throttleMs - Date.now();
    if (wait <= 0) this.emitNow();
    else this.timer ??= setTimeout(() => this.emitNow(), wait).unref();
  }

  private emitNow(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.lastEmit = Date.now();
    this.emit('change', this.current);
  }
}

/** RepositoryIndex's reason (state READY) while a reload runs and the model loaded before keeps serving. */
export const RELOADING = 'reloading';

/** Starts RepositoryIndex's reason (state READY) after a reload failed; the runtime error follows, `<code>: <message>`. */
export const RELOAD_FAILED = 'reload failed, still serving the previous load: ';

/** RepositoryIndex's reason while a fetch runs, e.g. `downloading: 1048576 of 4194304 bytes`. */
export function describeDownload(status: DownloadStatus): string {
  const total = status.bytesTotal > 0 ? ` of ${status.bytesTotal}` : '';
  return `${status.state}: ${status.bytesDownloaded}${total} bytes`;
}

/**
 * Reads {@link describeDownload}'s text back (for clients of RepositoryIndex), also after the `reloading: ` of a
 * reload; undefined for other reasons.
 */
export function parseDownloadReason(reason: string): DownloadStatus | undefined {
  const match = /^(?:reloading: )?([a-z]+): (\d+)(?: of (\d+))? bytes$/.exec(reason);
  if (!match || !(DOWNLOAD_STATES as readonly string[]).includes(match[1] as string)) return undefined;
  return {
    state: match[1] as DownloadState,
    bytesDownloaded: Number(match[2]),
    bytesTotal: Number(match[3] ?? 0),
  };
}
