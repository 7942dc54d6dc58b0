/**
 * Who is calling: the router's own API keys. Each key names a caller (a team, a service); usage and cost
 * are metered per caller. Keys are declared as `caller:key` pairs (ROUTER_API_KEYS, or one pair per line in
 * ROUTER_API_KEYS_FILE, the chart's Secret); a caller may hold several keys so a key can be rotated without
 * downtime. Only sha256 digests of the keys are kept in memory and nothing logs them.
 *
 * With no keys declared the router is open (local mode on a laptop) and every request is `anonymous`.
 * Pure: the file is read by the caller of `parseRouterApiKeys`.
 * @module
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { UnauthorizedError } from '../errors.js';

export const ANONYMOUS = 'anonymous';

/** A caller's name is a metering dimension: short, and safe in logs and reports. */
const CALLER_NAME = /^[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$/;
const MIN_KEY_LENGTH = 16;

export class ApiKeysError extends Error {}

/** sha256 of a key → the caller it names. */
export type CallerKeys = ReadonlyMap<string, string>;

const digest = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * Parses `caller:key` pairs separated by commas or newlines (`#` starts a comment line). Throws naming the
 * entry (never the key) when a caller name is invalid, a key is shorter than 16 characters, or a key is
 * declared twice.
 */
export function parseRouterApiKeys(text: string, source: string): CallerKeys {
  const keys = new Map<string, string>();
  const entries = text
    .split(/[\n,]/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  entries.forEach((entry, index) => {
    const colon = entry.indexOf(':');
    const caller = colon === -1 ? '' : entry.slice(0, colon).trim();
    const key = colon === -1 ? '' : entry.slice(colon + 1).trim();
    const where = `${source} entry ${index + 1}`;
    if (!CALLER_NAME.test(caller)) {
      throw new ApiKeysError(
        `${where}: expected caller:key with a caller name of lower-case letters, digits, '.', '_' or '-' (at most 63)`,
      );
    }
    if (caller === ANONYMOUS) throw new ApiKeysError(`${where}: the caller name ${ANONYMOUS} is reserved`);
    if (key.length < MIN_KEY_LENGTH || /\s/.test(key)) {
      throw new ApiKeysError(
        `${where} (${caller}): a key needs at least ${MIN_KEY_LENGTH} characters and no spaces`,
      );
    }
    const hash = digest(key);
    if (keys.has(hash)) throw new ApiKeysError(`${where} (${caller}): this key is already declared`);
    keys.set(hash, caller);
  });
  return keys;
}

/** The key a request presents: `Authorization: Bearer <key>` (what OpenAI clients send) or `x-api-key`. */
export function presentedKey(headers: IncomingHttpHeaders): string | undefined {
  const authorization = headers.authorization;
  if (typeof authorization === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (match) return match[1];
  }
  const header = headers['x-api-key'];
  return typeof header === 'string' && header !== '' ? header : undefined;
}

/** Names the caller of a request, or throws UnauthorizedError (401) when keys are required and none fits. */
export function identifyCaller(keys: CallerKeys, headers: IncomingHttpHeaders): string {
  if (keys.size === 0) return ANONYMOUS;
  const key = presentedKey(headers);
  if (key === undefined) {
    throw new UnauthorizedError(
      'This router requires an API key: send Authorization: Bearer <key> or an x-api-key header',
    );
  }
  const caller = keys.get(digest(key));
  if (caller === undefined) throw new UnauthorizedError('The API key is not valid');
  return caller;
}
