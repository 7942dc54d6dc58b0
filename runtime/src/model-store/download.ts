/**
 * Fetches one remote file to disk: streamed chunk by chunk (never whole in memory), hashed on the way, resumed
 * from the last byte written when the connection breaks or stalls, and retried with backoff.
 *
 * Attempts are counted without progress: a flaky link that keeps moving bytes is never given up on, one that
 * moves nothing `maxAttempts` times in a row is.
 * @module
 */
import { createHash, type Hash } from 'node:crypto';
import { type FileHandle, mkdir, open } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ArtifactUnavailableError, RuntimeError } from '../errors.js';
import type { DownloadProgress } from './progress.js';
import type { RemoteFile, RemoteSource } from './source.js';
import { TransientError } from './source.js';

export interface DownloadOptions {
  readonly uri: string;
  readonly source: RemoteSource;
  readonly file: RemoteFile;
  readonly dest: string;
  readonly progress: DownloadProgress;
  readonly maxAttempts: number;
  /** A read that moves no byte for this long is cut and resumed. */
  readonly stallTimeoutMs: number;
  /** First retry delay; doubles per failure without progress, capped at 5 s. */
  readonly backoffMs?: number;
  readonly signal?: AbortSignal;
}

export interface Downloaded {
  readonly sha256: string;
  readonly bytes: number;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

const backoff = (base: number | undefined, failures: number) =>
  Math.min(5000, (base ?? 250) * 2 ** Math.max(0, failures - 1));

/** The bytes written so far, their hash, and what the store said about them. */
class PartialFile {
  have = 0;
  hash: Hash = createHash('sha256');
  validator: string | undefined;
  /** Whether the file's size has been added to the progress's total. */
  sizeReported = false;

  constructor(
    private readonly handle: FileHandle,
    private readonly progress: DownloadProgress,
  ) {}

  async append(chunk: Uint8Array): Promise<void> {
    await this.handle.write(chunk, 0, chunk.byteLength, this.have);
    this.hash.update(chunk);
    this.have += chunk.byteLength;
    this.progress.add(chunk.byteLength);
  }

  /** Throws away what was written: the next read starts from byte 0. */
  async reset(): Promise<void> {
    await this.handle.truncate(0);
    this.progress.add(-this.have);
    this.have = 0;
    this.hash = createHash('sha256');
    this.validator = undefined;
  }
}

/**
 * Downloads `file` to `dest`.
 * @throws {ArtifactInvalidError} when the store says the file cannot be had (404, 403, ...).
 * @throws {ArtifactUnavailableError} after `maxAttempts` failures in a row without progress.
 */
export async function downloadFile(options: DownloadOptions): Promise<Downloaded> {
  await mkdir(dirname(options.dest), { recursive: true });
  const handle = await open(options.dest, 'w');
  const partial = new PartialFile(handle, options.progress);
  partial.sizeReported = options.file.size !== undefined;
  let failures = 0;
  try {
    for (;;) {
      options.signal?.throwIfAborted();
      const before = partial.have;
      try {
        await attempt(options, partial);
        return { sha256: partial.hash.digest('hex'), bytes: partial.have };
      } catch (error) {
        if (error instanceof RuntimeError || options.signal?.aborted) throw error;
        failures = await afterFailure(options, partial, error, partial.have > before ? 1 : failures + 1);
      }
    }
  } finally {
    await handle.close();
  }
}

/** Handles a failed attempt: restart the file if the store's copy changed, give up or wait. */
async function afterFailure(
  options: DownloadOptions,
  partial: PartialFile,
  error: unknown,
  failures: number,
): Promise<number> {
  const transient =
    error instanceof TransientError
      ? error
      : new TransientError((error as Error).message, false, { cause: error });
  if (transient.restart && partial.have > 0) await partial.reset();
  if (failures >= options.maxAttempts) {
    throw new ArtifactUnavailableError(
      options.uri,
      `cannot fetch ${options.file.ref}: ${transient.message} (${failures} tries without progress, ${partial.have} bytes kept)`,
      { cause: error },
    );
  }
  await sleep(backoff(options.backoffMs, failures), options.signal);
  return failures;
}

/** One read from where `partial` ends, to the end of the file. */
async function attempt(options: DownloadOptions, partial: PartialFile): Promise<void> {
  // One stall timer per attempt: it covers waiting for the response and every gap between chunks.
  let cancelRead = () => {};
  const stall = stallSignal(options, () => cancelRead());
  try {
    const read = await options.source.read(options.file, partial.have, partial.validator, stall.signal);
    cancelRead = () => read.cancel();
    // The store sent the whole file (no range support, or its copy changed): start over.
    if (read.start !== partial.have) await partial.reset();
    partial.validator = read.validator;
    if (!partial.sizeReported && read.total !== undefined) {
      options.progress.expect(read.total);
      partial.sizeReported = true;
    }
    for await (const chunk of read.body) {
      stall.touch();
      await partial.append(chunk);
    }
    if (stall.signal.aborted) throw new TransientError(`no bytes for ${options.stallTimeoutMs} ms`);
    if (read.total !== undefined && partial.have !== read.total) {
      throw new TransientError(`connection closed after ${partial.have} of ${read.total} bytes`);
    }
  } finally {
    stall.clear();
  }
}

/** An AbortSignal that fires after `stallTimeoutMs` without `touch()`, calling `onStall` first. */
function stallSignal(options: DownloadOptions, onStall: () => void) {
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      onStall();
      controller.abort(new TransientError(`no bytes for ${options.stallTimeoutMs} ms`));
    }, options.stallTimeoutMs);
  };
  const onAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', onAbort, { once: true });
  arm();
  return {
    signal: controller.signal,
    touch: arm,
    clear: () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    },
  };
}

/**
 * Runs `step` (a listing, a HEAD) until it succeeds, retrying TransientErrors up to `maxAttempts` times.
 * @throws {ArtifactUnavailableError} when every try failed transiently; other errors at once.
 */
export async function retrying<T>(
  uri: string,
  step: () => Promise<T>,
  maxAttempts: number,
  backoffMs?: number,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!(error instanceof TransientError)) throw error;
      if (attempt >= maxAttempts) {
        throw new ArtifactUnavailableError(uri, `${error.message} (${attempt} tries)`, { cause: error });
      }
      await sleep(backoff(backoffMs, attempt));
    }
  }
}
