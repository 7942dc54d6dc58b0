/**
 * What `default` and `deprecated` mean, in one place for the operator (status) and the router (routing).
 * @module
 */
import type { ModelVersionSpec } from './modelversion.js';

export interface VersionLike {
  readonly spec: Pick<ModelVersionSpec, 'version' | 'default' | 'deprecated'>;
}

/** Compares version strings the way people read them: v2 < v10, 1.2.0 < 1.10.0, then plain text order. */
export function compareVersions(a: string, b: string): number {
  const parts = (v: string): (number | string)[] =>
    v
      .replace(/^v/, '')
      .split(/[.-]/)
      .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  const pa = parts(a);
  const pb = parts(b);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = pa[i];
    const y = pb[i];
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return x - y;
    return String(x) < String(y) ? -1 : 1;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

export interface DefaultResolution<V> {
  /** The version requests that name none get, if any. */
  readonly version?: V;
  /** Set when the versions do not say unambiguously which is the default. */
  readonly problem?: 'MultipleDefaults' | 'NoDefaultVersion';
}

/**
 * The default version: the one marked `default` (never a deprecated one); with several marked, the newest
 * of them (reported as MultipleDefaults); with none marked, the newest non-deprecated version.
 */
export function resolveDefaultVersion<V extends VersionLike>(versions: readonly V[]): DefaultResolution<V> {
  const newestFirst = (list: V[]): V[] =>
    list.sort((a, b) => compareVersions(b.spec.version, a.spec.version));
  const live = versions.filter((v) => !v.spec.deprecated);
  const marked = newestFirst(live.filter((v) => v.spec.default));
  if (marked.length > 1) return { version: marked[0], problem: 'MultipleDefaults' };
  if (marked.length === 1) return { version: marked[0] };
  const newest = newestFirst([...live])[0];
  return newest ? { version: newest } : { problem: 'NoDefaultVersion' };
}
