/**
 * Whether a live object already has every field we would apply, with the same values. Pure. The server
 * adds defaults and other managers' fields; those are ignored. When this holds, server-side apply would
 * change nothing, so the operator skips the request: a reconcile that changes nothing writes nothing.
 * @module
 */

export function isSubset(desired: unknown, live: unknown): boolean {
  if (desired === live) return true;
  if (Array.isArray(desired)) {
    return (
      Array.isArray(live) &&
      live.length === desired.length &&
      desired.every((item, i) => isSubset(item, live[i]))
    );
  }
  if (typeof desired === 'object' && desired !== null) {
    if (typeof live !== 'object' || live === null || Array.isArray(live)) return false;
    const liveRecord = live as Record<string, unknown>;
    return Object.entries(desired as Record<string, unknown>).every(
      ([key, value]) => value === undefined || isSubset(value, liveRecord[key]),
    );
  }
  return false;
}
