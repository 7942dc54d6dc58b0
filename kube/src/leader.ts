/**
 * Leader election on a coordination.k8s.io Lease, with client-go's semantics: the holder renews every
 * retry period; anyone may take a lease not renewed within its duration; writes use the lease's
 * resourceVersion so two candidates cannot both win; a leader that cannot renew before the renew
 * deadline steps down. Only the leader reconciles.
 * @module
 */
import type { Logger } from 'pino';
import type { KubeApi, KubeObject } from './api.js';
import { isConflict, isNotFound } from './client.js';
import { Resources } from './resources.js';

interface Lease extends KubeObject {
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    acquireTime?: string;
    renewTime?: string;
    leaseTransitions?: number;
  };
}

export interface LeaderElectionOptions {
  readonly api: KubeApi;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly logger: Logger;
  readonly leaseDurationSeconds?: number;
  readonly renewDeadlineSeconds?: number;
  readonly retryPeriodSeconds?: number;
  readonly onStartedLeading: () => void;
  readonly onStoppedLeading: () => void;
}

/** RFC 3339 with microseconds, as metav1.MicroTime serialises. */
const microTime = (d: Date): string => d.toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');

export class LeaderElector {
  readonly #o: Required<LeaderElectionOptions>;
  #leading = false;
  #lastRenew = 0;
  #timer?: NodeJS.Timeout;
  #stopped = false;

  constructor(options: LeaderElectionOptions) {
    this.#o = { leaseDurationSeconds: 15, renewDeadlineSeconds: 10, retryPeriodSeconds: 2, ...options };
  }

  get leading(): boolean {
    return this.#leading;
  }

  start(): void {
    void this.#tick();
  }

  async #tick(): Promise<void> {
    if (this.#stopped) return;
    try {
      const held = await this.#tryAcquireOrRenew();
      if (held) this.#lastRenew = Date.now();
      if (held && !this.#leading) {
        this.#leading = true;
        this.#o.logger.info({ lease: this.#o.name, identity: this.#o.identity }, 'Became leader');
        this.#o.onStartedLeading();
      }
    } catch (err) {
      this.#o.logger.warn({ err: (err as Error).message }, 'Lease update failed');
    }
    if (this.#leading && Date.now() - this.#lastRenew > this.#o.renewDeadlineSeconds * 1000) {
      this.#leading = false;
      this.#o.logger.error({ lease: this.#o.name }, 'Lost the lease (renew deadline passed); stepping down');
      this.#o.onStoppedLeading();
    }
    const jitter = this.#leading ? 1 : 1 + Math.random() * 0.2;
    this.#timer = setTimeout(() => void this.#tick(), this.#o.retryPeriodSeconds * 1000 * jitter);
  }

  async #tryAcquireOrRenew(): Promise<boolean> {
    const { api, namespace, name, identity, leaseDurationSeconds } = this.#o;
    const now = new Date();
    let lease: Lease;
    try {
      lease = await api.get<Lease>(Resources.Lease, namespace, name);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      const created: Lease = {
        apiVersion: 'coordination.k8s.io/v1',
        kind: 'Lease',
        metadata: { name, namespace },
        spec: {
          holderIdentity: identity,
          leaseDurationSeconds,
          acquireTime: microTime(now),
          renewTime: microTime(now),
          leaseTransitions: 0,
        },
      };
      return this.#write(() => api.create(Resources.Lease, namespace, created));
    }
    const spec = lease.spec ?? {};
    const renewed = spec.renewTime ? Date.parse(spec.renewTime) : 0;
    const expired = renewed + (spec.leaseDurationSeconds ?? leaseDurationSeconds) * 1000 < now.getTime();
    const mine = spec.holderIdentity === identity;
    if (!mine && spec.holderIdentity && !expired) return false;
    const next: Lease = {
      ...lease,
      spec: {
        ...spec,
        holderIdentity: identity,
        leaseDurationSeconds,
        renewTime: microTime(now),
        ...(mine ? {} : { acquireTime: microTime(now), leaseTransitions: (spec.leaseTransitions ?? 0) + 1 }),
      },
    };
    return this.#write(() => api.replace(Resources.Lease, next));
  }

  async #write(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (err) {
      if (isConflict(err)) return false; // another candidate wrote first
      throw err;
    }
  }

  /** Stops campaigning; a leader gives the lease up so another replica takes over at once. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    if (!this.#leading) return;
    this.#leading = false;
    const { api, namespace, name, identity } = this.#o;
    try {
      const lease = await api.get<Lease>(Resources.Lease, namespace, name);
      if (lease.spec?.holderIdentity !== identity) return;
      await api.replace(Resources.Lease, {
        ...lease,
        spec: { ...lease.spec, holderIdentity: '', leaseDurationSeconds: 1 },
      });
      this.#o.logger.info({ lease: name }, 'Released the lease');
    } catch (err) {
      this.#o.logger.warn({ err: (err as Error).message }, 'Releasing the lease failed');
    }
  }
}
