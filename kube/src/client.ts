/**
 * A small Kubernetes REST client: credentials and watches come from @kubernetes/client-node, requests are
 * plain HTTPS so every verb (server-side apply, status patches) and every write goes through one place,
 * where it is counted.
 * @module
 */

import { request as httpRequest } from 'node:http';
import { Agent, request as httpsRequest, type RequestOptions } from 'node:https';
import { KubeConfig, Watch } from '@kubernetes/client-node';

/** A failed API call: `status` is the HTTP status, `reason` the Status reason (NotFound, Conflict, Gone...). */
export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly details?: unknown;

  constructor(status: number, reason: string, message: string, details?: unknown) {
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = reason;
    this.details = details;
  }
}

export const isNotFound = (err: unknown): boolean => err instanceof KubeApiError && err.status === 404;
export const isConflict = (err: unknown): boolean => err instanceof KubeApiError && err.status === 409;

export type Verb = 'get' | 'list' | 'watch' | 'create' | 'apply' | 'patch' | 'update' | 'delete';

/** Verbs that change state: what "a reconcile that changes nothing makes no writes" counts. */
export const WRITE_VERBS: ReadonlySet<Verb> = new Set(['create', 'apply', 'patch', 'update', 'delete']);

export interface RequestSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  readonly path: string;
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>>;
  readonly body?: unknown;
  readonly contentType?: string;
  /** For the request counter: what kind of call this is. */
  readonly verb: Verb;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

/** Observes every request (metrics); `resource` is the path's collection, e.g. `deployments`. */
export type RequestObserver = (verb: Verb, resource: string, status: number) => void;

const TIMEOUT_MS = 30_000;

function resourceOf(path: string): string {
  const parts = path.split('/').filter(Boolean);
  const ns = parts.indexOf('namespaces');
  const rest = ns >= 0 ? parts.slice(ns + 2) : parts.slice(parts[0] === 'api' ? 2 : 3);
  return rest.length >= 3 ? `${rest[0]}/${rest[2]}` : (rest[0] ?? 'unknown');
}

export class KubeClient {
  readonly config: KubeConfig;
  readonly server: string;
  readonly #agent: Agent;
  readonly #watch: Watch;
  #observer?: RequestObserver;

  constructor(config: KubeConfig) {
    const cluster = config.getCurrentCluster();
    if (!cluster) throw new Error('The kubeconfig has no current cluster');
    this.config = config;
    this.server = cluster.server.replace(/\/$/, '');
    this.#agent = new Agent({ keepAlive: true, maxSockets: 32 });
    this.#watch = new Watch(config);
  }

  /** From a kubeconfig file, or from the pod's service account when running in a cluster. */
  static load(kubeconfigPath?: string): KubeClient {
    const config = new KubeConfig();
    if (kubeconfigPath) config.loadFromFile(kubeconfigPath);
    else config.loadFromDefault();
    return new KubeClient(config);
  }

  /** Counts requests from here on (one observer). */
  observe(observer: RequestObserver): void {
    this.#observer = observer;
  }

  async request<T>(spec: RequestSpec): Promise<T> {
    const url = new URL(this.server + spec.path);
    for (const [k, v] of Object.entries(spec.query ?? {}))
      if (v !== undefined) url.searchParams.set(k, String(v));
    const options: RequestOptions = {
      method: spec.method,
      headers: { accept: 'application/json' },
      agent: url.protocol === 'https:' ? this.#agent : undefined,
      timeout: TIMEOUT_MS,
    };
    await this.config.applyToHTTPSOptions(options);
    const payload = spec.body === undefined ? undefined : JSON.stringify(spec.body);
    if (payload !== undefined) {
      options.headers = { ...options.headers, 'content-type': spec.contentType ?? 'application/json' };
    }
    const { status, text } = await this.#send(url, options, payload);
    this.#observer?.(spec.verb, resourceOf(spec.path), status);
    const body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (status >= 400) {
      throw new KubeApiError(
        status,
        String(body.reason ?? 'Unknown'),
        `${spec.method} ${spec.path}: ${status} ${String(body.message ?? text)}`,
        body.details,
      );
    }
    return body as T;
  }

  #send(url: URL, options: RequestOptions, payload?: string): Promise<{ status: number; text: string }> {
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(url, options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${options.method} ${url.pathname} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Starts a watch; `onEvent` gets each event, `onDone` once when the stream ends (null: closed normally,
   * e.g. by timeoutSeconds) or fails. Returns the handle that stops it.
   */
  async watch(
    path: string,
    query: Readonly<Record<string, string | number | boolean | undefined>>,
    onEvent: (type: WatchEventType, object: unknown) => void,
    onDone: (err: unknown) => void,
  ): Promise<AbortController> {
    this.#observer?.('watch', resourceOf(path), 200);
    return this.#watch.watch(
      path,
      { ...query },
      (type, object) => onEvent(type as WatchEventType, object),
      onDone,
    );
  }

  close(): void {
    this.#agent.destroy();
  }
}
