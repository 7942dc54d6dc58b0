/**
 * What the downloader needs from a store (HTTP or S3): the files of an artifact, and the bytes of one file
 * from an offset. Sources classify failures: {@link TransientError} is worth another try, an
 * ArtifactInvalidError (404, 403, a malformed listing) is not.
 * @module
 */

/** One file to fetch. */
export interface RemoteFile {
  /** What the source reads: a URL or an object key. */
  readonly ref: string;
  /** Where it lands, relative to the download directory. */
  readonly path: string;
  /** Bytes, when the listing says. */
  readonly size?: number;
  /** Expected sha256 hex, when the listing says (an https directory's SHA256SUMS). */
  readonly sha256?: string;
}

/** An open read of one file. */
export interface RemoteRead {
  readonly body: AsyncIterable<Uint8Array>;
  /** Offset of the first body byte: the one asked for, or 0 when the store ignored the range. */
  readonly start: number;
  /** Size of the whole file, when the store says. */
  readonly total?: number;
  /** ETag (or Last-Modified) of what is read, so a resumed read can insist on the same content. */
  readonly validator?: string;
  /** Drops the connection (stall, or the caller gave up). */
  cancel(): void;
}

export interface RemoteSource {
  /** The files of the artifact: one archive, or every file of a directory. */
  list(signal: AbortSignal): Promise<RemoteFile[]>;
  /** Reads `file` from `offset`; with `validator`, a store whose copy changed must start again from 0. */
  read(
    file: RemoteFile,
    offset: number,
    validator: string | undefined,
    signal: AbortSignal,
  ): Promise<RemoteRead>;
}

/** A failure that another try may get past: a cut connection, a 5xx, a stall, a throttle. */
export class TransientError extends Error {
  constructor(
    message: string,
    /** The store's copy changed under a resumed read: start the file again from byte 0. */
    readonly restart = false,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TransientError';
  }
}
