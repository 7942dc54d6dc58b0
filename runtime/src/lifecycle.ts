/**
 * The process contract with whoever starts the runtime (the operator's local mode via child_process.fork,
 * or a Kubernetes Deployment): IPC messages, exit codes, and the termination message.
 * @module
 */
import { existsSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  ArtifactInvalidError,
  ArtifactUnavailableError,
  ConfigError,
  GPUUnavailableError,
} from './errors.js';
import type { DownloadState } from './model-store/progress.js';

/** Why start-up failed, as IPC `failed.reason` and the termination message's prefix say it. */
export type FailureReason =
  | 'ConfigInvalid'
  | 'BindFailed'
  | 'ArtifactInvalid'
  | 'ModelLoadFailed'
  | 'ArtifactUnavailable'
  | 'GPUUnavailable';

/** Messages sent to a parent that forked the runtime with an IPC channel. */
export type IpcMessage =
  | { type: 'listening'; port: number }
  | { type: 'ready' }
  | { type: 'failed'; reason: FailureReason; message: string }
  /** Artifact fetch progress (remote artifacts only): on every state change and at most every 500 ms. */
  | { type: 'download'; state: DownloadState; bytesDownloaded: number; bytesTotal: number }
  /** The port of the /metrics, /healthz and /readyz HTTP server, once bound (useful with METRICS_PORT=0). */
  | { type: 'metrics'; port: number };

/** Exit codes: 0 after a clean shutdown; the others say which start-up step failed. */
export const EXIT_CODES: Readonly<Record<FailureReason | 'ok', number>> = {
  ok: 0,
  BindFailed: 1,
  ConfigInvalid: 2,
  ArtifactInvalid: 3,
  ModelLoadFailed: 4,
  ArtifactUnavailable: 5,
  GPUUnavailable: 6,
};

/** The failure reason of a start-up error: config and artifact errors are told apart, the rest failed to load. */
export function failureReason(error: unknown): FailureReason {
  if (error instanceof ConfigError) return 'ConfigInvalid';
  if (error instanceof ArtifactInvalidError) return 'ArtifactInvalid';
  if (error instanceof ArtifactUnavailableError) return 'ArtifactUnavailable';
  if (error instanceof GPUUnavailableError) return 'GPUUnavailable';
  return 'ModelLoadFailed';
}

/** Sends `message` to the parent if there is an IPC channel; resolves once it is handed to the OS. */
export function sendToParent(message: IpcMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send || !process.connected) {
      resolve();
      return;
    }
    process.send(message, undefined, undefined, () => resolve());
  });
}

/**
 * Writes Kubernetes' termination message (`terminationMessagePath`), which the operator reads into the
 * ModelVersion's condition. Skipped when the directory does not exist (local runs); never throws.
 */
export function writeTerminationMessage(path: string, text: string): void {
  if (!existsSync(dirname(path))) return;
  try {
    writeFileSync(path, text);
  } catch {
    // A read-only or missing /dev/termination-log must not hide the real failure being reported.
  }
}
