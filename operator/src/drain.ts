/**
 * How long a runtime may take to stop: its drain delay plus grace (DRAIN_DELAY_SECONDS, DRAIN_GRACE_SECONDS,
 * runtime/src/config.ts) plus a margin to close its servers. Local mode waits this long before SIGKILL; in a
 * cluster it is the floor of terminationGracePeriodSeconds. Pure.
 * @module
 */

/** The runtime's own defaults, for an environment that sets neither. */
export const RUNTIME_DRAIN_DEFAULTS = { delaySeconds: 0, graceSeconds: 10 } as const;
/** Time past the drain for the runtime to close its servers and exit before it is killed. */
export const STOP_MARGIN_SECONDS = 5;

const secondsOr = (value: string | undefined, fallback: number): number => {
  const n = value === undefined || value.trim() === '' ? Number.NaN : Number(value);
  return Number.isFinite(n) && n >= 0 ? n : fallback;
};

/** Drain delay plus grace plus the margin, in seconds, for a runtime with this environment. */
export function stopBudgetSeconds(env: Readonly<Record<string, string | undefined>>): number {
  const delay = secondsOr(env.DRAIN_DELAY_SECONDS, RUNTIME_DRAIN_DEFAULTS.delaySeconds);
  const grace = secondsOr(env.DRAIN_GRACE_SECONDS, RUNTIME_DRAIN_DEFAULTS.graceSeconds);
  return delay + grace + STOP_MARGIN_SECONDS;
}
