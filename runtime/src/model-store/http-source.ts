/**
 * Artifacts over HTTP(S): an archive is one GET; a directory serves `SHA256SUMS` (coreutils `sha256sum`
 * output) that names every file and its digest, since HTTP has no listing. Ranged GETs with If-Range resume
 * a cut download without mixing two versions of a file.
 * @module
 */
import { ArtifactInvalidError } from '../errors.js';
import type { RemoteFile, RemoteRead, RemoteSource } from './source.js';
import { TransientError } from './source.js';
import { type ArtifactLayout, MANIFEST_FILE, safeRelativePath } from './uri.js';

/** Statuses after which another try can help. */
const TRANSIENT_STATUSES = new Set([408, 425, 429, 500, 502, 503, 504]);

/** Parses `sha256sum` output (`<hex>  <path>` or `<hex> *<path>`, `./` prefixes allowed). */
export function parseManifest(uri: string, text: string): { path: string; sha256: string }[] {
  const entries: { path: string; sha256: string }[] = [];
  for (const [index, line] of text.split('\n').entries()) {
    if (line.trim() === '') continue;
    const match = /^([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!match) {
      throw new ArtifactInvalidError(
        uri,
        `${MANIFEST_FILE} line ${index + 1} is not '<sha256>  <path>': ${line}`,
      );
    }
    const path = (match[2] as string).replace(/^\.\//, '');
    entries.push({ path: safeRelativePath(uri, path), sha256: (match[1] as string).toLowerCase() });
  }
  if (entries.length === 0) throw new ArtifactInvalidError(uri, `${MANIFEST_FILE} lists no files`);
  return entries;
}

function failure(uri: string, url: string, response: Response): Error {
  const what = `GET ${url} answered ${response.status} ${response.statusText}`;
  return TRANSIENT_STATUSES.has(response.status)
    ? new TransientError(what)
    : new ArtifactInvalidError(uri, what);
}

/** The `a-b/total` of a 206's Content-Range. */
function contentRange(header: string | null): { start: number; total?: number } | undefined {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(header ?? '');
  if (!match) return undefined;
  return { start: Number(match[1]), ...(match[2] === '*' ? {} : { total: Number(match[2]) }) };
}

/** Where a successful response's body starts, the file's size, and the validator to resume it with. */
function describeBody(response: Response): Omit<RemoteRead, 'body' | 'cancel'> | undefined {
  const etag = response.headers.get('etag');
  const validator =
    etag && !etag.startsWith('W/') ? etag : (response.headers.get('last-modified') ?? undefined);
  const common = validator ? { validator } : {};
  if (response.status === 206) {
    const range = contentRange(response.headers.get('content-range'));
    return range ? { ...range, ...common } : undefined;
  }
  const length = Number(response.headers.get('content-length') ?? Number.NaN);
  return { start: 0, ...(Number.isFinite(length) ? { total: length } : {}), ...common };
}

export class HttpSource implements RemoteSource {
  constructor(
    private readonly uri: string,
    private readonly url: URL,
    private readonly layout: ArtifactLayout,
  ) {}

  async list(signal: AbortSignal): Promise<RemoteFile[]> {
    if (this.layout === 'archive') return [{ ref: this.url.href, path: 'artifact.tar.gz' }];
    const manifestUrl = new URL(MANIFEST_FILE, this.url).href;
    const response = await this.get(manifestUrl, {}, signal);
    if (!response.ok) throw failure(this.uri, manifestUrl, response);
    // A manifest is a few lines per file: small enough to hold, unlike the files it names.
    const text = await response.text();
    return parseManifest(this.uri, text).map(({ path, sha256 }) => ({
      ref: new URL(path.split('/').map(encodeURIComponent).join('/'), this.url).href,
      path,
      sha256,
    }));
  }

  async read(
    file: RemoteFile,
    offset: number,
    validator: string | undefined,
    signal: AbortSignal,
  ): Promise<RemoteRead> {
    const controller = new AbortController();
    const onAbort = () => controller.abort(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    const headers: Record<string, string> = offset > 0 ? { range: `bytes=${offset}-` } : {};
    if (offset > 0 && validator) headers['if-range'] = validator;
    let response: Response;
    try {
      response = await this.get(file.ref, headers, controller.signal);
    } catch (error) {
      signal.removeEventListener('abort', onAbort);
      throw error;
    }
    const cancel = () => {
      signal.removeEventListener('abort', onAbort);
      controller.abort();
    };
    if (response.status === 416) {
      cancel();
      throw new TransientError(`GET ${file.ref} refused the range from byte ${offset}`, true);
    }
    if (!response.ok || !response.body) {
      cancel();
      throw failure(this.uri, file.ref, response);
    }
    const described = describeBody(response);
    if (!described) {
      cancel();
      throw new TransientError(`GET ${file.ref} sent 206 without a usable Content-Range`, true);
    }
    return { body: response.body, ...described, cancel };
  }

  private async get(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<Response> {
    try {
      // Content-Encoding would change the bytes we hash and the offsets we resume from.
      return await fetch(url, {
        headers: { ...headers, 'accept-encoding': 'identity' },
        signal,
        redirect: 'follow',
      });
    } catch (error) {
      if (signal.aborted) throw error;
      throw new TransientError(`GET ${url} failed: ${(error as Error).message}`, false, { cause: error });
    }
  }
}
