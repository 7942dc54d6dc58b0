/**
 * The Redis connection of a store of limit counters (request limits, budgets): its own client or one given,
 * the Lua scripts it runs, and failures that let requests through with a metric (`onError`) and a log line at
 * most every 30 s per kind. A limit must never be the reason a request fails.
 * @module
 */
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { ThrottledErrorLog } from '../cache/error-log.js';
import { storeError } from '../cache/errors.js';
import { createRedisClient } from '../cache/redis-client.js';

export interface FailOpenRedisOptions {
  readonly client?: Redis;
  readonly url?: string;
  readonly onError?: (operation: string) => void;
  readonly logger?: Logger;
}

export class FailOpenRedis<C extends Redis = Redis> {
  readonly client: C;
  readonly #options: FailOpenRedisOptions;
  readonly #store: string;
  readonly #owns: boolean;
  readonly #log: ThrottledErrorLog;
  readonly #onError = (err: Error) => this.fail('connect', err);

  /** `store` names it in log lines, `connectionName` in CLIENT LIST; `scripts` are defined on the client. */
  constructor(
    options: FailOpenRedisOptions,
    names: { readonly store: string; readonly connectionName: string },
    scripts: Readonly<Record<string, { numberOfKeys?: number; lua: string }>>,
  ) {
    this.#options = options;
    this.#store = names.store;
    this.#owns = !options.client;
    const client =
      options.client ?? createRedisClient({ url: options.url, connectionName: names.connectionName });
    for (const [name, script] of Object.entries(scripts)) client.defineCommand(name, script);
    this.client = client as C;
    this.#log = new ThrottledErrorLog(options.logger, 30_000);
    this.client.on('error', this.#onError);
  }

  fail(operation: string, err: unknown): void {
    const error = storeError(operation.toUpperCase(), err);
    this.#options.onError?.(operation);
    this.#log.error(operation, error, { store: this.#store, code: error.code });
  }

  recovered(): void {
    this.#log.recovered({ store: this.#store });
  }

  async close(): Promise<void> {
    // An owned client keeps its listener: a reconnect attempt in flight may still report an error.
    if (this.#owns) this.client.disconnect();
    else this.client.off('error', this.#onError);
  }
}
