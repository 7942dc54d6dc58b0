/**
 * Reading a request's JSON body, the same on both serving paths: JSON only (415 otherwise), UTF-8 only,
 * the route's size limit (413, checked on content-length first and on the bytes as they come), gzip,
 * deflate and br bodies inflated only up to that limit (past it the decompressor is destroyed and the rest
 * of the body discarded unread), 400 for bad JSON or none.
 * @module
 */
import type { IncomingMessage } from 'node:http';
import type { Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import {
  MalformedJsonError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../errors.js';

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json$/;

/** Reads and parses a JSON body: 415 for other types, 413 past the limit, 400 for bad JSON or none. */
export async function readJson(req: IncomingMessage, limitBytes: number): Promise<unknown> {
  const length = req.headers['content-length'];
  const chunked = req.headers['transfer-encoding'] !== undefined;
  if (!chunked && (length === undefined || length === '0')) {
    throw new ValidationError('Request body is required: send a JSON object', {
      problems: [{ path: 'body', message: 'required' }],
    });
  }
  const contentType = req.headers['content-type'] ?? '';
  const semi = contentType.indexOf(';');
  const mediaType = (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
  if (!JSON_TYPE.test(mediaType)) {
    throw new UnsupportedMediaTypeError(
      `Send JSON with content-type application/json (got ${contentType || 'none'})`,
    );
  }
  if (semi !== -1) {
    const charset = /charset\s*=\s*"?([\w-]+)/i.exec(contentType.slice(semi))?.[1]?.toLowerCase();
    if (charset && charset !== 'utf-8' && charset !== 'utf8')
      throw new UnsupportedMediaTypeError(`Unsupported charset ${charset}: send UTF-8 JSON`);
  }
  if (length !== undefined && Number(length) > limitBytes) {
    throw new PayloadTooLargeError(`Request body exceeds ${limitBytes} bytes`, { limit_bytes: limitBytes });
  }
  const text = await readBody(req, limitBytes);
  if (text.length === 0) {
    throw new ValidationError('Request body is required: send a JSON object', {
      problems: [{ path: 'body', message: 'required' }],
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new MalformedJsonError(`Request body is not valid JSON: ${(err as Error).message}`);
  }
  // Like body-parser's strict mode: a bare string, number or null is not a request.
  if (typeof value !== 'object' || value === null)
    throw new MalformedJsonError('Request body is not valid JSON: expected an object');
  return value;
}

function decoded(req: IncomingMessage): Readable {
  const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
  switch (encoding) {
    case 'identity':
      return req;
    case 'gzip':
    case 'x-gzip':
      return req.pipe(createGunzip());
    case 'deflate':
      return req.pipe(createInflate());
    case 'br':
      return req.pipe(createBrotliDecompress());
    default:
      throw new UnsupportedMediaTypeError(`Unsupported content-encoding ${encoding}`);
  }
}

function readBody(req: IncomingMessage, limitBytes: number): Promise<string> {
  const source = decoded(req);
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const fail = (err: Error) => {
      source.removeListener('data', onData);
      if (source !== req) {
        // A decompressor holds the compressed bytes already read: left running, a small bomb goes on
        // inflating gigabytes after the answer. Stop feeding it and free it now.
        req.unpipe(source as Transform);
        source.removeAllListeners('error');
        source.on('error', () => {});
        source.destroy();
      }
      // What the client still sends is discarded unread, never buffered or inflated; the answer closes the
      // connection (PayloadTooLargeError sets `connection: close`).
      req.resume();
      reject(err);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limitBytes) {
        fail(
          new PayloadTooLargeError(`Request body exceeds ${limitBytes} bytes`, { limit_bytes: limitBytes }),
        );
        return;
      }
      chunks.push(chunk);
    };
    source.on('data', onData);
    source.once('end', () => {
      resolve(
        chunks.length === 1 ? (chunks[0] as Buffer).toString('utf8') : Buffer.concat(chunks).toString('utf8'),
      );
    });
    source.once('error', (err: Error) =>
      fail(
        source === req
          ? new MalformedJsonError(`Request body could not be read: ${err.message}`)
          : new MalformedJsonError(`Request body could not be decompressed: ${err.message}`),
      ),
    );
    req.once('aborted', () => fail(new MalformedJsonError('The client aborted the request body')));
  });
}
