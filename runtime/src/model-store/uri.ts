/**
 * Artifact URIs: which store, where in it, and whether the artifact is an archive or a directory.
 *
 * - `file:///abs/dir`: a local directory, used in place;
 * - `https://host/path/model.tar.gz` (or `.tgz`): an archive; `https://host/path/dir/` (trailing slash): a
 *   directory whose `SHA256SUMS` lists its files (HTTP has no listing). `http://` is accepted the same way for
 *   stores inside the cluster;
 * - `s3://bucket/key.tar.gz`: an archive; `s3://bucket/prefix` or `s3://bucket/prefix/`: a directory, listed.
 * @module
 */
import { fileURLToPath } from 'node:url';
import { ArtifactInvalidError } from '../errors.js';

export type ArtifactLayout = 'archive' | 'directory';

export type ArtifactLocation =
  | { readonly scheme: 'file'; readonly path: string }
  | { readonly scheme: 'http'; readonly url: URL; readonly layout: ArtifactLayout }
  | { readonly scheme: 's3'; readonly bucket: string; readonly key: string; readonly layout: ArtifactLayout };

/** The file a remote directory must serve to list its files: `sha256sum` output, one `<hex>  <path>` a line. */
export const MANIFEST_FILE = 'SHA256SUMS';

const isArchive = (path: string) => /\.(tar\.gz|tgz)$/i.test(path);

/**
 * Where `uri` points.
 * @throws {ArtifactInvalidError} for a malformed URI, an unknown scheme, or a shape the scheme cannot serve.
 */
export function parseArtifactUri(uri: string): ArtifactLocation {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new ArtifactInvalidError(
      uri,
      `artifact URI '${uri}' is not a valid URI (expected file:///dir, https://host/model.tar.gz or s3://bucket/key)`,
    );
  }
  switch (url.protocol) {
    case 'file:':
      if (url.host !== '' && url.host !== 'localhost') {
        throw new ArtifactInvalidError(
          uri,
          `artifact URI '${uri}' names host '${url.host}'; file URIs must be local`,
        );
      }
      return { scheme: 'file', path: fileURLToPath(url) };
    case 'http:':
    case 'https:': {
      if (url.search || url.hash) {
        // Query strings would be part of the cache key but not of the content; refuse rather than guess.
        throw new ArtifactInvalidError(uri, `artifact URI '${uri}' must not carry a query or fragment`);
      }
      if (isArchive(url.pathname)) return { scheme: 'http', url, layout: 'archive' };
      if (url.pathname.endsWith('/')) return { scheme: 'http', url, layout: 'directory' };
      throw new ArtifactInvalidError(
        uri,
        `artifact URI '${uri}' is neither a .tar.gz/.tgz archive nor a directory ending in '/' (which must serve ${MANIFEST_FILE})`,
      );
    }
    case 's3:': {
      const key = decodeURIComponent(url.pathname.replace(/^\//, ''));
      if (!url.hostname || !key) {
        throw new ArtifactInvalidError(
          uri,
          `artifact URI '${uri}' must name a bucket and a key: s3://bucket/key`,
        );
      }
      if (isArchive(key)) return { scheme: 's3', bucket: url.hostname, key, layout: 'archive' };
      return { scheme: 's3', bucket: url.hostname, key: key.replace(/\/*$/, '/'), layout: 'directory' };
    }
    default:
      throw new ArtifactInvalidError(
        uri,
        `artifact URI scheme '${url.protocol.replace(/:$/, '')}' is not supported; use file://, https://, http:// or s3://`,
      );
  }
}

/**
 * Checks a relative path from a listing or manifest: no absolute paths, no `..`, no empty segments, so a
 * hostile store cannot write outside the download directory.
 */
export function safeRelativePath(uri: string, path: string): string {
  const segments = path.split('/');
  if (
    path.startsWith('/') ||
    segments.some((s) => s === '' || s === '.' || s === '..') ||
    path.includes('\0')
  ) {
    throw new ArtifactInvalidError(uri, `artifact lists an unsafe path '${path}'`);
  }
  return path;
}
