/**
 * Router API keys that follow their file: the chart mounts a Secret as ROUTER_API_KEYS_FILE, and the kubelet
 * updates the mounted file when the Secret changes, so a key can be added or revoked without a rollout. The
 * file is polled (a stat every ROUTER_API_KEYS_RELOAD_SECONDS; Secret volumes swap a symlink, which file-change
 * events miss) and the keys are replaced in place. A file that cannot be read or parsed keeps the keys in force
 * and logs why: a bad edit must not lock every caller out, or let everyone in.
 * @module
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { Logger } from 'pino';
import { type Config, ConfigError } from '../config.js';
import { audit } from './audit.js';
import { ApiKeysError, type CallerKeys, parseRouterApiKeys } from './callers.js';
import type { Principal } from './scopes.js';

export interface FollowedKeys {
  readonly keys: CallerKeys;
  stop(): void;
}

export function followCallerKeys(config: Config, logger: Logger): FollowedKeys {
  const keys = new Map(loadCallerKeys(config));
  const path = config.ROUTER_API_KEYS_FILE;
  if (!path) return { keys, stop: () => undefined };
  const reload = () => {
    let fresh: CallerKeys;
    try {
      fresh = loadCallerKeys(config);
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      logger.error({ path, reason: err.message }, 'Router API keys file rejected; the keys in force stay');
      audit(logger, {
        caller: 'router',
        action: 'keys.reload',
        target: path,
        outcome: 'rejected',
        details: { reason: err.message },
      });
      return;
    }
    keys.clear();
    for (const [hash, principal] of fresh) keys.set(hash, principal);
    // Counts only: the line must not help anyone guess a key or map callers to keys.
    audit(logger, {
      caller: 'router',
      action: 'keys.reload',
      target: path,
      outcome: 'applied',
      details: { keys: keys.size, callers: new Set([...keys.values()].map((p) => p.caller)).size },
    });
  };
  const listener = (now: { mtimeMs: number; ino: number }, before: { mtimeMs: number; ino: number }) => {
    if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino) reload();
  };
  watchFile(path, { interval: config.ROUTER_API_KEYS_RELOAD_SECONDS * 1000, persistent: false }, listener);
  return { keys, stop: () => unwatchFile(path, listener) };
}

/** The router API keys of ROUTER_API_KEYS and ROUTER_API_KEYS_FILE as they are now. */
export function loadCallerKeys(config: Config): CallerKeys {
  const parts: [string, string][] = [];
  if (config.ROUTER_API_KEYS) parts.push([config.ROUTER_API_KEYS, 'ROUTER_API_KEYS']);
  if (config.ROUTER_API_KEYS_FILE) {
    let text: string;
    try {
      text = readFileSync(config.ROUTER_API_KEYS_FILE, 'utf8');
    } catch (err) {
      throw new ConfigError(
        `Invalid configuration: ROUTER_API_KEYS_FILE ${config.ROUTER_API_KEYS_FILE} cannot be read (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
    parts.push([text, 'ROUTER_API_KEYS_FILE']);
  }
  const keys = new Map<string, Principal>();
  try {
    for (const [text, source] of parts) {
      for (const [hash, principal] of parseRouterApiKeys(text, source)) {
        if (keys.has(hash))
          throw new ApiKeysError(`${source} (${principal.caller}): this key is already declared`);
        keys.set(hash, principal);
      }
    }
  } catch (err) {
    if (err instanceof ApiKeysError) throw new ConfigError(`Invalid configuration: ${err.message}`);
    throw err;
  }
  if ((config.ROUTER_API_KEYS !== undefined || config.ROUTER_API_KEYS_FILE !== undefined) && keys.size === 0)
    throw new ConfigError('Invalid configuration: ROUTER_API_KEYS(_FILE) is set but declares no key');
  return keys;
}
