/**
 * Audit events: who did what to which target, and how it ended, as one structured log line each
 * (`audit: true`, so a log pipeline can route them apart from request logs). Model operations and key-file
 * reloads are audited; the line never carries a key, a prompt or an upstream's error text.
 * @module
 */
import type { Logger } from 'pino';

/** `model.download`, `keys.reload`, or `models.admin` for a refused administrative route. */
export type AuditAction = string;

export interface AuditEvent {
  /** Who acted: the router API key's caller, or `router` for what the router does by itself. */
  readonly caller: string;
  readonly action: AuditAction;
  /** What was acted on, e.g. `story-writer/v2`, or the keys file's path. */
  readonly target?: string;
  /** How it ended: READY, FAILED, IN_PROGRESS, refused, applied, rejected. */
  readonly outcome: string;
  /** Bounded extras: an error code, an HTTP status, counts. */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

/** The one shape of an audit line. */
export function auditRecord(event: AuditEvent): Record<string, unknown> {
  // Extras first: they can never overwrite the fields an audit pipeline keys on.
  return {
    ...(event.details ?? {}),
    audit: true,
    caller: event.caller,
    action: event.action,
    ...(event.target === undefined ? {} : { target: event.target }),
    outcome: event.outcome,
  };
}

export function audit(log: Logger, event: AuditEvent): void {
  log.info(auditRecord(event), `audit ${event.action} ${event.outcome}`);
}
