/**
 * Router API keys that follow their file: the chart mounts a Secret as ROUTER_API_KEYS_FILE, and the kubelet
 * updates the mounted file when the Secret changes, so a key can be added or revoked without a rollout. The
 * file is polled (a stat every ROUTER_API_KEYS_RELOAD_SECONDS; Secret volumes swap a symlink, which file-change
 * events miss) and the keys are replaced in place. A file that cannot be read or parsed keeps the keys in force
 * and logs why: a bad edit must not lock every caller out, or let everyone in.
 * @module
 */
import { unwatchFile, watchFile } from 'node:fs';
import type { Logger } from 'pino';
import { type Config, ConfigError, loadCallerKeys } from '../config.js';
import type { CallerKeys } from './callers.js';

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
      return;
    }
    keys.clear();
    for (const [hash, caller] of fresh) keys.set(hash, caller);
    logger.info({ path, keys: keys.size, callers: new Set(keys.values()).size }, 'Router API keys reloaded');
  };
  const listener = (now: { mtimeMs: number; ino: number }, before: { mtimeMs: number; ino: number }) => {
    if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino) reload();
  };
  watchFile(path, { interval: config.ROUTER_API_KEYS_RELOAD_SECONDS * 1000, persistent: false }, listener);
  return { keys, stop: () => unwatchFile(path, listener) };
}
