/**
 * Artifacts in S3-compatible stores (AWS S3, MinIO, Ceph RGW, ...) through @aws-sdk/client-s3: an archive is
 * one object, a directory is every object under a prefix. Ranged GETs with If-Match resume a cut download
 * only while the object is unchanged.
 * @module
 */
import type { Readable } from 'node:stream';
import {
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListObjectsV2Command,
  type ListObjectsV2CommandOutput,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import type { S3Config } from '../config.js';
import { ArtifactInvalidError } from '../errors.js';
import type { RemoteFile, RemoteRead, RemoteSource } from './source.js';
import { TransientError } from './source.js';
import { type ArtifactLayout, MANIFEST_FILE, safeRelativePath } from './uri.js';

/** One client per configuration: the SDK keeps connections alive across calls. */
export function createS3Client(config: S3Config): S3Client {
  return new S3Client({
    region: config.region,
    forcePathStyle: config.forcePathStyle,
    ...(config.endpoint ? { endpoint: config.endpoint } : {}),
    // A copy: the SDK annotates the credentials object it is given, and the configuration is frozen.
    ...(config.credentials ? { credentials: { ...config.credentials } } : {}),
    // The downloader retries with resume; SDK-level retries would restart reads from their first byte.
    maxAttempts: 1,
    // Ranged reads carry no whole-object checksum, and many S3-compatible stores know none of the new ones.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

function classify(uri: string, what: string, error: unknown): Error {
  if (error instanceof S3ServiceException) {
    const status = error.$metadata.httpStatusCode ?? 0;
    const detail = `${what}: ${error.name}${status ? ` (HTTP ${status})` : ''}${error.message && error.message !== error.name ? `: ${error.message}` : ''}`;
    if (status === 412 || error.name === 'PreconditionFailed')
      return new TransientError(detail, true, { cause: error });
    if (status === 416 || error.name === 'InvalidRange')
      return new TransientError(detail, true, { cause: error });
    if (TRANSIENT_STATUSES.has(status) || error.$retryable)
      return new TransientError(detail, false, { cause: error });
    return new ArtifactInvalidError(uri, detail);
  }
  // Connection refused or reset, DNS, TLS, timeouts: the store may be back soon.
  return new TransientError(`${what}: ${(error as Error).message}`, false, { cause: error });
}

export class S3Source implements RemoteSource {
  constructor(
    private readonly uri: string,
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly key: string,
    private readonly layout: ArtifactLayout,
  ) {}

  async list(signal: AbortSignal): Promise<RemoteFile[]> {
    if (this.layout === 'archive') {
      try {
        const head = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.key }), {
          abortSignal: signal,
        });
        return [
          {
            ref: this.key,
            path: 'artifact.tar.gz',
            ...(head.ContentLength ? { size: head.ContentLength } : {}),
          },
        ];
      } catch (error) {
        throw classify(this.uri, `HEAD s3://${this.bucket}/${this.key}`, error);
      }
    }
    const files = await this.listPrefix(signal);
    if (files.length === 0) {
      throw new ArtifactInvalidError(this.uri, `no objects under s3://${this.bucket}/${this.key}`);
    }
    return files;
  }

  /** Every object under the prefix, page by page, as files relative to it. */
  private async listPrefix(signal: AbortSignal): Promise<RemoteFile[]> {
    const files: RemoteFile[] = [];
    let token: string | undefined;
    do {
      let page: ListObjectsV2CommandOutput;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.key, ContinuationToken: token }),
          { abortSignal: signal },
        );
      } catch (error) {
        throw classify(this.uri, `LIST s3://${this.bucket}/${this.key}`, error);
      }
      for (const object of page.Contents ?? []) files.push(...this.fileOf(object.Key ?? '', object.Size));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return files;
  }

  /** The model file an object key is; none for folder markers and the manifest an https mirror carries. */
  private fileOf(key: string, size: number | undefined): RemoteFile[] {
    const path = key.slice(this.key.length);
    if (path === '' || path.endsWith('/') || path === MANIFEST_FILE) return [];
    return [{ ref: key, path: safeRelativePath(this.uri, path), ...(size !== undefined ? { size } : {}) }];
  }

  async read(
    file: RemoteFile,
    offset: number,
    validator: string | undefined,
    signal: AbortSignal,
  ): Promise<RemoteRead> {
    let output: GetObjectCommandOutput;
    try {
      output = await this.client.send(
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: file.ref,
          ...(offset > 0 ? { Range: `bytes=${offset}-` } : {}),
          ...(offset > 0 && validator ? { IfMatch: validator } : {}),
        }),
        { abortSignal: signal },
      );
    } catch (error) {
      throw classify(this.uri, `GET s3://${this.bucket}/${file.ref}`, error);
    }
    const body = output.Body as Readable | undefined;
    if (!body) throw new TransientError(`GET s3://${this.bucket}/${file.ref} returned no body`);
    const range = /^bytes (\d+)-\d+\/(\d+)$/.exec(output.ContentRange ?? '');
    const start = range ? Number(range[1]) : 0;
    const total = range ? Number(range[2]) : output.ContentLength;
    return {
      body,
      start,
      ...(total === undefined ? {} : { total }),
      ...(output.ETag ? { validator: output.ETag } : {}),
      cancel: () => body.destroy(),
    };
  }
}
