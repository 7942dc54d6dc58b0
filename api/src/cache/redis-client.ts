/**
 * The ioredis settings every router store shares: fail fast instead of queueing while Redis is down, never
 * replay a write after a reconnect, and reconnect forever with a capped backoff so the stores come back by
 * themselves when Redis does.
 * @module
 */
import { type ChainableCommander, Redis } from 'ioredis';
import { StoreTimeoutError, StoreUnavailableError } from './errors.js';

export interface RedisClientOptions {
  /** `redis://[user:pass@]host:port[/db]`; default redis://127.0.0.1:6379. */
  readonly url?: string;
  /** Longest wait between reconnect attempts (ms); default 1000. */
  readonly maxReconnectDelayMs?: number;
  /** Shown in CLIENT LIST, to tell router connections apart. */
  readonly connectionName?: string;
}

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

export function createRedisClient(options: RedisClientOptions = {}): Redis {
  const maxDelay = options.maxReconnectDelayMs ?? 1000;
  return new Redis(options.url ?? DEFAULT_REDIS_URL, {
    // A command issued while disconnected fails at once: a request must not wait for Redis to come back.
    enableOfflineQueue: false,
    // In-flight commands fail when the connection drops instead of waiting for a reconnect...
    maxRetriesPerRequest: 0,
    // ...and are not sent again after it: replaying an HINCRBY whose outcome is unknown would count twice.
    autoResendUnfulfilledCommands: false,
    // Jitter keeps the replicas from reconnecting in lockstep after a Redis restart.
    retryStrategy: (times) =>
      Math.min(50 * 2 ** Math.min(times, 10), maxDelay) + Math.floor(Math.random() * 50),
    connectTimeout: 2000,
    ...(options.connectionName ? { connectionName: options.connectionName } : {}),
  });
}

/**
 * Bounds one store call. ioredis's own commandTimeout only applies to clients we create; a race works for an
 * injected client too. The late answer of a timed-out command is swallowed, not left as an unhandled rejection.
 */
export function withTimeout<T>(promise: Promise<T>, ms: number, operation: string): Promise<T> {
  promise.catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreTimeoutError(operation, ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Whether commands can be sent now. The socket can die before ioredis has processed the 'close' event (its
 * status still says ready), so the stream is checked too.
 */
export function redisReady(client: Redis): boolean {
  return client.status === 'ready' && Boolean(client.stream?.writable);
}

/** Runs a pipeline or MULTI within the budget; the first failed command fails the whole call. */
export async function execWithin(
  commands: ChainableCommander,
  ms: number,
  operation: string,
): Promise<unknown[]> {
  const replies = await withTimeout(commands.exec(), ms, operation);
  if (!replies) throw new StoreUnavailableError(operation, 'transaction aborted');
  const failed = replies.find(([err]) => err);
  if (failed) throw new StoreUnavailableError(operation, failed[0]);
  return replies.map(([, value]) => value);
}

const connectedOnce = new WeakSet<Redis>();

/**
 * Waits, within `ms`, for a client's first connection. A router that has just started would otherwise fail its
 * first lookups (commands fail at once while no connection exists) and count a healthy Redis as down. Once the
 * client has been connected, this returns at once: during an outage requests must not wait for Redis.
 */
export async function firstConnection(client: Redis, ms: number): Promise<void> {
  if (connectedOnce.has(client)) return;
  if (client.status === 'ready') {
    connectedOnce.add(client);
    return;
  }
  if (client.status === 'end' || client.status === 'close') return;
  let timer: NodeJS.Timeout | undefined;
  let onReady: (() => void) | undefined;
  await new Promise<void>((resolve) => {
    onReady = () => resolve();
    client.once('ready', onReady);
    timer = setTimeout(resolve, ms);
  }).finally(() => {
    clearTimeout(timer);
    if (onReady) client.off('ready', onReady);
  });
  // The status changed while we waited (TypeScript keeps the narrowed type from before the await).
  if ((client.status as string) === 'ready') connectedOnce.add(client);
}
