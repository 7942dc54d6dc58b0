/**
 * Weighted traffic between the versions of one AIModel: the `spec.traffic` and `spec.trafficStickiness`
 * schemas, and the effective split (what the router routes by and what the operator shows in status), in
 * one place for both.
 * @module
 */
import { z } from 'zod';
import { withInvariants } from './meta.js';

/** Most entries of spec.traffic: a split is a stable version and a canary or two, not a catalog. */
export const MAX_TRAFFIC_ENTRIES = 8;

export const trafficEntry = z.object({
  version: z
    .string()
    .min(1)
    .max(32)
    .regex(
      /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
      'traffic[].version must be a ModelVersion spec.version, e.g. v2',
    )
    .describe('spec.version of a ModelVersion of this model'),
  weight: z
    .number()
    .int()
    .min(0)
    .max(100)
    .describe('Percent of the requests that name no version sent to this version (0 to 100)'),
});
export type TrafficEntry = z.infer<typeof trafficEntry>;

export const traffic = withInvariants(
  z
    .array(trafficEntry)
    .min(1)
    .max(MAX_TRAFFIC_ENTRIES)
    // Atomic: the whole split is written at once by one writer, so the weights are checked together.
    .meta({ 'x-kubernetes-list-type': 'atomic' }),
  [
    {
      rule: 'self.all(a, self.exists_one(b, b.version == a.version))',
      message: 'spec.traffic names a version more than once',
      check: (list) => new Set(list.map((t) => t.version)).size === list.length,
    },
    {
      rule: 'self.map(t, t.weight).sum() == 100',
      message: 'spec.traffic weights must add up to 100',
      check: (list) => list.reduce((sum, t) => sum + t.weight, 0) === 100,
    },
  ],
).describe(
  'Splits the requests that name no version across versions by weight (percent, adding up to 100); a request naming a version is unaffected; absent: every such request goes to the default version',
);

export const trafficStickiness = z
  .object({
    by: z
      .enum(['caller', 'header'])
      .default('caller')
      .describe(
        "caller: one API key's requests always land on the same version while the split holds; header: the same value of the named request header does",
      ),
    header: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9-]{0,63}$/, 'trafficStickiness.header must be an HTTP header name')
      .optional()
      .describe('The request header whose value keeps a client on one version (by: header only)'),
  })
  .describe(
    'Keeps a caller, or a header value, on one version of the split; absent: each request is drawn at random by weight',
  );
export type TrafficStickiness = z.infer<typeof trafficStickiness>;

/** A share of the requests that name no version: `weight` percent to `version`. */
export interface TrafficShare {
  readonly version: string;
  readonly weight: number;
}

/** A weight one version takes whatever the configured split says (a rollout's canary), the rest scaled. */
export interface TrafficOverride {
  readonly version: string;
  readonly weight: number;
}

/**
 * Whole percents in proportion to `weights`, adding up to `total` (largest remainder; ties to the earlier
 * entry). All zero weights give all zeros.
 */
export function apportion(weights: readonly number[], total: number): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  if (sum <= 0) return weights.map(() => 0);
  const exact = weights.map((w) => (w * total) / sum);
  const whole = exact.map(Math.floor);
  let left = total - whole.reduce((a, b) => a + b, 0);
  const order = exact
    .map((x, i) => ({ i, rest: x - Math.floor(x) }))
    .sort((a, b) => b.rest - a.rest || a.i - b.i);
  for (const { i } of order) {
    if (left <= 0) break;
    whole[i] = (whole[i] ?? 0) + 1;
    left--;
  }
  return whole;
}

/**
 * The split requests actually follow: entries whose version cannot serve (missing, not ready, deprecated)
 * are dropped and their share goes to the others in proportion to their weights, in whole percents adding
 * up to 100. With an override, its version takes its weight and the others share the rest in proportion.
 * Empty when no entry that can serve has a weight: requests then go to the default version.
 */
export function effectiveSplit(
  configured: readonly TrafficShare[],
  canServe: (version: string) => boolean,
  override?: TrafficOverride,
): TrafficShare[] {
  return shareOut(configured, canServe, override, apportion);
}

/**
 * effectiveSplit before rounding: the same shares as fractions of 100. What a sticky pick hashes by, because
 * whole percents change the ratio between versions that kept their weights (50/30/20 without the 20 is
 * 62.5/37.5, shown as 63/37), which would move keys between them.
 */
export function exactSplit(
  configured: readonly TrafficShare[],
  canServe: (version: string) => boolean,
  override?: TrafficOverride,
): TrafficShare[] {
  return shareOut(configured, canServe, override, (weights, total) => {
    const sum = weights.reduce((a, b) => a + b, 0);
    return weights.map((w) => (sum > 0 ? (w * total) / sum : 0));
  });
}

function shareOut(
  configured: readonly TrafficShare[],
  canServe: (version: string) => boolean,
  override: TrafficOverride | undefined,
  divide: (weights: readonly number[], total: number) => number[],
): TrafficShare[] {
  const serving = configured.filter((t) => canServe(t.version) && t.version !== override?.version);
  const canary = override && canServe(override.version) ? override : undefined;
  const weight = Math.min(100, Math.max(0, Math.round(canary?.weight ?? 0)));
  const rest = serving.some((t) => t.weight > 0) ? 100 - weight : 0;
  const shares = divide(
    serving.map((t) => t.weight),
    rest,
  );
  const split = serving.map((t, i) => ({ version: t.version, weight: shares[i] ?? 0 }));
  if (canary) split.push({ version: canary.version, weight: rest === 0 ? 100 : weight });
  return split.some((t) => t.weight > 0) ? split : [];
}

/** `v2=90,v3=10`: the split as the TRAFFIC printer column and the REST API show it. */
export function formatSplit(split: readonly TrafficShare[]): string {
  return split.map((t) => `${t.version}=${t.weight}`).join(',');
}
