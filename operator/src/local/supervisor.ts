/**
 * Runs local runtime processes and keeps them running: starts what is desired, restarts what crashed
 * (with exponential backoff), replaces what changed and stops what is no longer wanted.
 * @module
 */
import { type ChildProcess, fork } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { IpcMessage } from '../../../runtime/src/lifecycle.js';
import type { DownloadStatus } from '../../../runtime/src/model-store/progress.js';
import { Reason } from '../conditions.js';
import { stopBudgetSeconds } from '../drain.js';
import { runtimeFailureReason } from '../errors.js';
import type { LocalRuntimeSpec } from './desired.js';

/**
 * How long a stopping runtime with this environment gets between SIGTERM and SIGKILL: its drain delay plus
 * grace plus a margin (operator/src/drain.ts), so a clean drain is never cut short.
 */
export function stopGraceMsFor(env: Readonly<Record<string, string | undefined>>): number {
  return Math.round(stopBudgetSeconds(env) * 1000);
}

export type RuntimePhase = 'Starting' | 'Ready' | 'BackOff';

export interface RuntimeFailure {
  readonly reason: Reason;
  readonly message: string;
  readonly at: Date;
}

export interface RuntimeState {
  readonly key: string;
  readonly hash: string;
  readonly phase: RuntimePhase;
  readonly port?: number;
  /** Port of the runtime's /metrics, /healthz and /readyz server, once bound. */
  readonly metricsPort?: number;
  readonly pid?: number;
  /** The artifact fetch the runtime reported last (remote artifacts only), for this process. */
  readonly download?: DownloadStatus;
  readonly restarts: number;
  readonly lastFailure?: RuntimeFailure;
  readonly nextStartAt?: Date;
}

export interface SupervisorOptions {
  readonly logger: Logger;
  /** Module the child runs (runtime/src/main.ts, or its compiled form). */
  readonly entry: string;
  readonly execArgv?: readonly string[];
  /** Where child stdout/stderr go. */
  readonly output?: 'inherit' | 'ignore';
  readonly initialBackoffMs?: number;
  readonly maxBackoffMs?: number;
  /**
   * How long a stopping child gets between SIGTERM and SIGKILL. Default: its drain delay plus grace plus 5 s,
   * read from the child's environment (stopGraceMsFor).
   */
  readonly stopGraceMs?: number;
  /** Environment the children inherit (under each spec's own variables); default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

interface Managed {
  spec: LocalRuntimeSpec;
  state: RuntimeState;
  child?: ChildProcess;
  failures: number;
  timer?: NodeJS.Timeout;
  lastMessage?: string;
  stopGraceMs: number;
}

/** What may come over IPC: the runtime's messages, or a type a later runtime adds (ignored). */
type RuntimeMessage = IpcMessage | { type?: unknown };

/** Events: `update` (RuntimeState) on every transition, `removed` (key) when a runtime is gone for good. */
export class RuntimeSupervisor extends EventEmitter {
  readonly #options: Required<Omit<SupervisorOptions, 'stopGraceMs'>> &
    Pick<SupervisorOptions, 'stopGraceMs'>;
  readonly #managed = new Map<string, Managed>();
  #stopping = false;

  constructor(options: SupervisorOptions) {
    super();
    this.#options = {
      execArgv: process.execArgv,
      output: 'inherit',
      initialBackoffMs: 1000,
      maxBackoffMs: 30_000,
      env: process.env,
      ...options,
    };
  }

  states(): RuntimeState[] {
    return [...this.#managed.values()].map((m) => m.state);
  }

  /**
   * Makes the running set of one ModelVersion match `specs` (its processes; none removes them all), leaving
   * other versions' processes alone. Returns when removed or replaced runtimes have exited.
   */
  async apply(versionName: string, specs: readonly LocalRuntimeSpec[]): Promise<void> {
    if (this.#stopping) return;
    const wanted = new Map(specs.map((s) => [s.key, s]));
    const stops: Promise<void>[] = [];
    for (const [key, managed] of this.#managed) {
      if (managed.spec.versionName !== versionName) continue;
      const spec = wanted.get(key);
      if (spec && spec.hash === managed.spec.hash) continue;
      stops.push(this.#remove(key, managed));
    }
    await Promise.all(stops);
    for (const spec of specs) if (!this.#managed.has(spec.key)) this.#start(spec, 0, 0);
  }

  /** Stops every runtime (SIGTERM, then SIGKILL after the grace period). */
  async stopAll(): Promise<void> {
    this.#stopping = true;
    await Promise.all([...this.#managed].map(([key, m]) => this.#remove(key, m)));
  }

  #start(spec: LocalRuntimeSpec, restarts: number, failures: number, lastFailure?: RuntimeFailure): void {
    const { entry, execArgv, output, logger } = this.#options;
    const env = { ...this.#options.env, ...spec.env };
    const child = fork(entry, [], {
      env,
      execArgv: [...execArgv],
      stdio:
        output === 'inherit'
          ? ['ignore', 'inherit', 'inherit', 'ipc']
          : ['ignore', 'ignore', 'ignore', 'ipc'],
    });
    const managed: Managed = {
      spec,
      child,
      failures,
      stopGraceMs: this.#options.stopGraceMs ?? stopGraceMsFor(env),
      state: { key: spec.key, hash: spec.hash, phase: 'Starting', pid: child.pid, restarts, lastFailure },
    };
    this.#managed.set(spec.key, managed);
    logger.info({ runtime: spec.key, pid: child.pid, restarts }, 'Started runtime');
    child.on('message', (message: RuntimeMessage) => this.#onMessage(managed, message));
    child.on('exit', (code, signal) => this.#onExit(managed, code, signal));
    child.on('error', (err) => logger.error({ runtime: spec.key, err }, 'Runtime process error'));
    this.emit('update', managed.state);
  }

  #update(managed: Managed, patch: Partial<RuntimeState>): void {
    managed.state = { ...managed.state, ...patch };
    this.emit('update', managed.state);
  }

  #onMessage(managed: Managed, raw: RuntimeMessage): void {
    if (typeof raw !== 'object' || raw === null) return;
    const message = raw as IpcMessage;
    switch (message.type) {
      case 'listening':
        this.#update(managed, { port: message.port });
        break;
      case 'metrics':
        this.#update(managed, { metricsPort: message.port });
        break;
      case 'download': {
        const { state, bytesDownloaded, bytesTotal } = message;
        this.#update(managed, { download: { state, bytesDownloaded, bytesTotal } });
        break;
      }
      case 'ready':
        managed.failures = 0;
        this.#update(managed, { phase: 'Ready' });
        this.#options.logger.info({ runtime: managed.spec.key, port: managed.state.port }, 'Runtime ready');
        break;
      case 'failed':
        managed.lastMessage = `${message.reason}: ${message.message}`;
        break;
      default:
      // A type a later runtime added: the protocol says to ignore it.
    }
  }

  #onExit(managed: Managed, code: number | null, signal: NodeJS.Signals | null): void {
    managed.child = undefined;
    if (this.#managed.get(managed.spec.key) !== managed) return; // removed on purpose
    const detail =
      managed.lastMessage ?? `runtime exited (${code !== null ? `code ${code}` : `signal ${signal}`})`;
    const reason = runtimeFailureReason(code, managed.lastMessage) ?? Reason.CrashLoopBackOff;
    const failure: RuntimeFailure = { reason, message: detail, at: new Date() };
    const failures = managed.failures + 1;
    const { initialBackoffMs, maxBackoffMs } = this.#options;
    const delay = Math.min(initialBackoffMs * 2 ** (failures - 1), maxBackoffMs);
    this.#options.logger.warn(
      { runtime: managed.spec.key, code, signal, reason, restartInMs: delay },
      'Runtime exited; restarting with backoff',
    );
    managed.failures = failures;
    this.#update(managed, {
      phase: 'BackOff',
      port: undefined,
      metricsPort: undefined,
      pid: undefined,
      lastFailure: failure,
      nextStartAt: new Date(Date.now() + delay),
    });
    managed.timer = setTimeout(() => {
      if (this.#managed.get(managed.spec.key) !== managed || this.#stopping) return;
      this.#managed.delete(managed.spec.key);
      this.#start(managed.spec, managed.state.restarts + 1, failures, failure);
    }, delay);
  }

  async #remove(key: string, managed: Managed): Promise<void> {
    this.#managed.delete(key);
    clearTimeout(managed.timer);
    const child = managed.child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      const timer = setTimeout(() => {
        this.#options.logger.warn(
          { runtime: key, afterMs: managed.stopGraceMs },
          'Runtime did not drain in time; killing it',
        );
        child.kill('SIGKILL');
      }, managed.stopGraceMs);
      await exited;
      clearTimeout(timer);
      this.#options.logger.info({ runtime: key }, 'Stopped runtime');
    }
    this.emit('removed', key);
  }
}
