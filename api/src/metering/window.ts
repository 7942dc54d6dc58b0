/**
 * The `window` of GET /api/models/{model_id}/metrics: a duration in whole minutes, written the way Go and
 * Kubernetes write durations but with hours and minutes only (`5m`, `90m`, `1h30m`, `24h`), because the
 * per-version counters are per minute: a window in seconds would promise a resolution they do not have.
 * @module
 */
import { MINUTE_MS } from './version-figures.js';

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?$/;

/** The whole minutes a duration names; undefined when it is not `<n>h`, `<n>m` or `<n>h<n>m`, or zero. */
export function windowMinutes(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match || text === '') return undefined;
  const minutes = Number(match[1] ?? 0) * 60 + Number(match[2] ?? 0);
  return minutes > 0 && Number.isSafeInteger(minutes) ? minutes : undefined;
}

/**
 * The span a window of `minutes` ending at `now` reads: every minute that overlaps the last `minutes`
 * minutes, so `from` is the start of the minute `minutes` minutes ago and the figures cover between
 * `minutes` and `minutes` + 1 minutes, the current one up to now included.
 */
export function windowSpan(minutes: number, now: Date): { from: Date; to: Date } {
  const from = Math.floor((now.getTime() - minutes * MINUTE_MS) / MINUTE_MS) * MINUTE_MS;
  return { from: new Date(from), to: now };
}
