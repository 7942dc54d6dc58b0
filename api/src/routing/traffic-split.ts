/**
 * Weighted traffic between the versions of one model (AIModel `spec.traffic`): the effective split over the
 * versions that can serve, and the pick of one version for a request, sticky or drawn at random. Pure.
 * @module
 */
import { createHash } from 'node:crypto';
import {
  effectiveSplit,
  exactSplit,
  resolveDefaultVersion,
  type TrafficOverride,
  type TrafficShare,
} from '../../../crds/src/index.js';
import type { CatalogModel, CatalogVersion } from '../catalog/catalog.js';

/** What a request offers the pick: who calls, its headers, and a source of randomness (tests pass one). */
export interface TrafficRequest {
  readonly caller: string;
  /** The value of a request header (lowercase name), if the request has it. */
  readonly header: (name: string) => string | undefined;
  readonly random?: () => number;
}

/** A version can take a share of the split when it is ready and not deprecated. */
export function canServe(version: CatalogVersion | undefined): boolean {
  return Boolean(version?.ready && !version.spec.deprecated);
}

/**
 * The split requests that name no version follow: `spec.traffic` over the versions that can serve (the
 * share of one that cannot goes to the others in proportion), in whole percents adding up to 100. An
 * override (a rollout's canary weight) takes its weight and scales the others; without `spec.traffic` the
 * override's other side is the default version. Undefined when the model has no split; empty when nothing
 * in it can serve (requests then go to the default version, as without a split).
 */
export function effectiveTraffic(
  model: CatalogModel,
  versions: readonly CatalogVersion[] = model.versions,
  override?: TrafficOverride,
): TrafficShare[] | undefined {
  return splitOf(model, versions, override, effectiveSplit);
}

/** effectiveTraffic's rules with either division: whole percents to show, unrounded (exactSplit) to pick by. */
function splitOf(
  model: CatalogModel,
  versions: readonly CatalogVersion[],
  override: TrafficOverride | undefined,
  share: typeof effectiveSplit,
): TrafficShare[] | undefined {
  const byVersion = new Map(versions.map((v) => [v.version, v]));
  let configured: readonly TrafficShare[] | undefined = model.spec.traffic;
  if (!configured && override) {
    const stable = resolveDefaultVersion(versions).version;
    configured = stable ? [{ version: stable.version, weight: 100 }] : [];
  }
  if (!configured) return undefined;
  return share(configured, (v) => canServe(byVersion.get(v)), override);
}

/** A point in (0, 1) fixed by the text: the first 48 bits of its SHA-256. */
function unitHash(text: string): number {
  const bits = createHash('sha256').update(text).digest().readUIntBE(0, 6);
  return (bits + 0.5) / 2 ** 48;
}

/**
 * Weighted rendezvous hashing: each version scores -ln(h(key, version)) / weight and the lowest wins, so a
 * key lands on a version with probability weight / total, and a change of weights moves only the keys it
 * must (raising v3 from 10 to 20 moves ~10% of keys, all to v3; a version leaving the split hands its keys
 * to the others in proportion and no other key moves).
 */
export function stickyPick(split: readonly TrafficShare[], key: string): string | undefined {
  let best: { version: string; score: number } | undefined;
  for (const share of split) {
    if (share.weight <= 0) continue;
    const score = -Math.log(unitHash(`${key}\u0000${share.version}`)) / share.weight;
    if (!best || score < best.score) best = { version: share.version, score };
  }
  return best?.version;
}

/** A version drawn at random in proportion to the weights; `u` is uniform in [0, 1). */
export function randomPick(split: readonly TrafficShare[], u: number): string | undefined {
  const total = split.reduce((sum, s) => sum + Math.max(0, s.weight), 0);
  let point = u * total;
  let last: string | undefined;
  for (const share of split) {
    if (share.weight <= 0) continue;
    last = share.version;
    if (point < share.weight) return share.version;
    point -= share.weight;
  }
  return last;
}

/**
 * What keeps a request on one version: `caller:<name>` (stickiness by caller) or `header:<value>`
 * (by header; a request without the header is not sticky). Keyed per model so one caller's versions of
 * different models are drawn independently.
 */
export function stickyKey(model: CatalogModel, req: TrafficRequest): string | undefined {
  const sticky = model.spec.trafficStickiness;
  if (!sticky) return undefined;
  if (sticky.by === 'header') {
    const value = sticky.header ? req.header(sticky.header.toLowerCase()) : undefined;
    return value ? `${model.name}\u0000header:${value}` : undefined;
  }
  return `${model.name}\u0000caller:${req.caller}`;
}

/** The version of the split this request goes to, or undefined when the model has no usable split. */
export function pickTrafficVersion(model: CatalogModel, req: TrafficRequest): CatalogVersion | undefined {
  // Unrounded, so a version leaving the split hands over its keys and no other key moves.
  const split = splitOf(model, model.versions, undefined, exactSplit);
  if (!split || split.length === 0) return undefined;
  const key = stickyKey(model, req);
  const chosen =
    key === undefined ? randomPick(split, (req.random ?? Math.random)()) : stickyPick(split, key);
  return model.versions.find((v) => v.version === chosen);
}
