/**
 * Who is calling: the router's own API keys. Each key names a caller (a team, a service); usage and cost
 * are metered per caller. Keys are declared as `caller:key[:scope,scope,...]` entries (ROUTER_API_KEYS,
 * comma-separated, or one per line in ROUTER_API_KEYS_FILE, the chart's Secret); a caller may hold several
 * keys so a key can be rotated without downtime. An entry without scopes gets DEFAULT_SCOPES (scopes.ts); a
 * `models=glob|glob` item limits the models the key may ask for. Only sha256 digests of the keys are kept in
 * memory and nothing logs them.
 *
 * With no keys declared the router is open (local mode on a laptop): every request is `anonymous` and holds
 * every scope. Pure: the file is read by the caller of `parseRouterApiKeys`.
 * @module
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { UnauthorizedError } from '../errors.js';
import {
  DEFAULT_SCOPES,
  isScope,
  OPEN_PRINCIPAL,
  type Principal,
  SCOPES,
  type Scope,
  withImplied,
} from './scopes.js';

export const ANONYMOUS = 'anonymous';

/** A caller's name is a metering dimension: short, and safe in logs and reports. */
const CALLER_NAME = /^[a-z0-9](?:[a-z0-9._-]{0,61}[a-z0-9])?$/;
const MIN_KEY_LENGTH = 16;
/** A model glob: model names are DNS labels, plus `*`. */
const MODEL_GLOB = /^[a-z0-9*](?:[a-z0-9.*-]{0,251})?$/;

export class ApiKeysError extends Error {}

/** sha256 of a key → who it is and what it may do. */
export type CallerKeys = ReadonlyMap<string, Principal>;

const digest = (key: string) => createHash('sha256').update(key).digest('hex');

/**
 * One entry per line; on a line, entries are separated by commas, and a comma-separated piece that is a
 * scope or a `models=` item continues the entry before it (`alice:KEY:inference,models:admin,bob:KEY2`).
 */
function entriesOf(text: string): string[] {
  const entries: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) continue;
    const lineStart = entries.length;
    for (const piece of line.split(',').map((p) => p.trim())) {
      if (piece === '' || piece.startsWith('#')) continue;
      const continues = isScope(piece) || piece.startsWith('models=');
      if (continues && entries.length > lineStart) entries[entries.length - 1] += `,${piece}`;
      else entries.push(piece);
    }
  }
  return entries;
}

function modelGlobs(item: string, where: string): string[] {
  const globs = item.slice('models='.length).split('|');
  if (!globs.every((glob) => MODEL_GLOB.test(glob)))
    throw new ApiKeysError(`${where}: models= takes model names or globs with *, separated by |`);
  return globs;
}

/**
 * A key holding ':' splits into a key and "scopes" that are the rest of it, and this message reaches the log
 * and the audit line of a rejected reload: only an item shaped like a scope name (a typo) is repeated.
 */
function unknownScope(item: string): string {
  return /^[a-z][a-z:_-]{0,19}$/.test(item)
    ? `unknown scope '${item}'`
    : "an unknown scope (not shown: it may be part of a key, and a key cannot contain ':')";
}

function principalOf(caller: string, items: string | undefined, where: string): Principal {
  if (items === undefined) return { caller, scopes: new Set(DEFAULT_SCOPES) };
  const scopes = new Set<Scope>();
  let models: string[] | undefined;
  for (const item of items.split(',').map((i) => i.trim())) {
    if (item.startsWith('models=')) models = [...(models ?? []), ...modelGlobs(item, `${where} (${caller})`)];
    else if (isScope(item)) scopes.add(item);
    else
      throw new ApiKeysError(
        `${where} (${caller}): ${unknownScope(item)}; the scopes are ${SCOPES.join(', ')}`,
      );
  }
  // `models=` alone narrows the default set rather than granting nothing.
  if (scopes.size === 0) for (const scope of DEFAULT_SCOPES) scopes.add(scope);
  const held = withImplied(scopes);
  return models ? { caller, scopes: held, models } : { caller, scopes: held };
}

/**
 * Parses `caller:key[:scope,...]` entries (`#` starts a comment line). Throws naming the entry (never the
 * key) when a caller name is invalid, a key is shorter than 16 characters, a scope is unknown, or a key is
 * declared twice.
 */
export function parseRouterApiKeys(text: string, source: string): CallerKeys {
  const keys = new Map<string, Principal>();
  entriesOf(text).forEach((entry, index) => {
    const [callerPart, keyPart, ...rest] = entry.split(':');
    const caller = (callerPart ?? '').trim();
    const key = (keyPart ?? '').trim();
    // Scopes contain colons themselves (models:admin): everything after the key is the scope list.
    const items = rest.length > 0 ? rest.join(':') : undefined;
    const where = `${source} entry ${index + 1}`;
    if (keyPart === undefined || !CALLER_NAME.test(caller)) {
      throw new ApiKeysError(
        `${where}: expected caller:key[:scope,...] with a caller name of lower-case letters, digits, '.', '_' or '-' (at most 63)`,
      );
    }
    if (caller === ANONYMOUS) throw new ApiKeysError(`${where}: the caller name ${ANONYMOUS} is reserved`);
    // `caller:key,models=x` would otherwise become a key that nobody sends, with no allow-list.
    if (key.includes(',')) {
      throw new ApiKeysError(
        `${where} (${caller}): a key cannot contain ','; scopes and models= follow the key after a colon (caller:key:scope,... or caller:key:models=glob)`,
      );
    }
    if (key.length < MIN_KEY_LENGTH || /\s/.test(key)) {
      throw new ApiKeysError(
        `${where} (${caller}): a key needs at least ${MIN_KEY_LENGTH} characters and no spaces`,
      );
    }
    const hash = digest(key);
    if (keys.has(hash)) throw new ApiKeysError(`${where} (${caller}): this key is already declared`);
    keys.set(hash, principalOf(caller, items, where));
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

/** Who sent a request, or throws UnauthorizedError (401) when keys are required and none fits. */
export function identifyCaller(keys: CallerKeys, headers: IncomingHttpHeaders): Principal {
  if (keys.size === 0) return OPEN_PRINCIPAL;
  const key = presentedKey(headers);
  if (key === undefined) {
    throw new UnauthorizedError(
      'This router requires an API key: send Authorization: Bearer <key> or an x-api-key header',
    );
  }
  const principal = keys.get(digest(key));
  if (principal === undefined) throw new UnauthorizedError('The API key is not valid');
  return principal;
}
