/**
 * Kubernetes Events for what the operator did and what went wrong, deduplicated like client-go's
 * recorder: the same event on the same object within ten minutes bumps the count of the first.
 * Best effort: an event that cannot be written is logged, never fails a reconcile.
 * @module
 */
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { KubeApi, KubeObject } from './api.js';
import { Resources } from './resources.js';

const DEDUPE_MS = 10 * 60_000;

interface Sent {
  name: string;
  count: number;
  at: number;
}

export class EventRecorder {
  readonly #api: KubeApi;
  readonly #component: string;
  readonly #instance: string;
  readonly #logger: Logger;
  readonly #sent = new Map<string, Sent>();

  constructor(api: KubeApi, component: string, instance: string, logger: Logger) {
    this.#api = api;
    this.#component = component;
    this.#instance = instance;
    this.#logger = logger;
  }

  async record(
    object: KubeObject,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ): Promise<void> {
    const namespace = object.metadata.namespace as string;
    const key = `${object.metadata.uid}|${type}|${reason}|${message}`;
    const now = new Date();
    const previous = this.#sent.get(key);
    try {
      if (previous && now.getTime() - previous.at < DEDUPE_MS) {
        previous.count += 1;
        previous.at = now.getTime();
        await this.#api.mergePatch(Resources.Event, namespace, previous.name, {
          count: previous.count,
          lastTimestamp: now.toISOString(),
        });
        return;
      }
      const name = `${object.metadata.name}.${randomBytes(8).toString('hex')}`;
      await this.#api.create(Resources.Event, namespace, {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: { name, namespace },
        involvedObject: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: object.metadata.name,
          namespace,
          uid: object.metadata.uid,
        },
        type,
        reason,
        message,
        source: { component: this.#component },
        reportingComponent: this.#component,
        reportingInstance: this.#instance,
        firstTimestamp: now.toISOString(),
        lastTimestamp: now.toISOString(),
        count: 1,
      } as KubeObject);
      this.#sent.set(key, { name, count: 1, at: now.getTime() });
      if (this.#sent.size > 5000) this.#prune(now.getTime());
    } catch (err) {
      this.#logger.warn({ err: (err as Error).message, reason }, 'Recording an event failed');
    }
  }

  #prune(now: number): void {
    for (const [key, sent] of this.#sent) if (now - sent.at > DEDUPE_MS) this.#sent.delete(key);
  }
}
