/**
 * Fallback is data: the ordered targets a request may be served by, and which failures move it to the
 * next one. Pure; `execute-chain.ts` is the loop that walks it.
 * @module
 */
import type { FailureKind, RouteTarget } from '../backends/backend.js';
import type { CatalogModel } from '../catalog/catalog.js';
import { policyOf } from './failure-policy.js';
import { selectVersion } from './select-version.js';
import type { TrafficRequest } from './traffic-split.js';

export interface ChainStep {
  readonly target: RouteTarget;
  /** True when the step is not the request's first choice: another version of the model, or another model. */
  readonly fallback: boolean;
}

export interface ChainSkip {
  readonly model: string;
  readonly reason: string;
}

export interface FallbackChain {
  readonly steps: readonly ChainStep[];
  /** Models of the chain that cannot serve at all (unknown, wrong capability, no usable version). */
  readonly skipped: readonly ChainSkip[];
}

export interface ChainInput {
  readonly model: CatalogModel;
  readonly requestedVersion?: string;
  /** Whether a fallback model can do what the request asks (its capabilities). */
  readonly accepts: (model: CatalogModel) => boolean;
  /** What the request needs, for the reason a fallback is skipped (e.g. `text-generation`). */
  readonly need: string;
  readonly useFallbacks: boolean;
  readonly lookup: (name: string) => CatalogModel | undefined;
  /** Takes the request into the traffic split of each model that has one; absent: default versions. */
  readonly traffic?: TrafficRequest;
}

/** Failures after which another target may still succeed (the policy table's). */
export function movesToNextTarget(kind: FailureKind): boolean {
  return policyOf(kind).nextTarget;
}

/** Whether a target can take traffic now (its version is ready, or its external model is ready). */
export function isAvailable(target: RouteTarget): boolean {
  const version = target.version;
  if (version?.status?.protocol === 'openai') return Boolean(version.ready && version.endpoint);
  if (target.model.spec.provider === 'openai') {
    return target.model.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  }
  return Boolean(version?.ready && version.addresses.length > 0);
}

function stepFor(
  model: CatalogModel,
  version: string | undefined,
  fallback: boolean,
  traffic: TrafficRequest | undefined,
): ChainStep | ChainSkip {
  const choice = selectVersion(model, version, traffic);
  if (choice.kind === 'none') return { model: model.name, reason: choice.reason };
  return { target: choice.kind === 'version' ? { model, version: choice.version } : { model }, fallback };
}

/**
 * The requested model (the named version, else the one its traffic split picks, else its default); then,
 * when allowed, its other non-deprecated versions (newest first, whatever their weight; only when the
 * request did not name a version), then every model of its `fallbacks`, depth first, each once, each at the
 * version its split picks or its default. Throws VersionNotFoundError for an unknown version.
 */
export function buildFallbackChain(input: ChainInput): FallbackChain {
  const steps: ChainStep[] = [];
  const skipped: ChainSkip[] = [];
  const first = stepFor(input.model, input.requestedVersion, false, input.traffic);
  if ('target' in first) steps.push(first);
  else skipped.push(first);
  if (!input.useFallbacks) return { steps, skipped };

  if (input.requestedVersion === undefined) {
    const chosen = 'target' in first ? first.target.version?.name : undefined;
    for (const version of input.model.versions) {
      if (version.name !== chosen && !version.spec.deprecated) {
        steps.push({ target: { model: input.model, version }, fallback: true });
      }
    }
  }

  const visited = new Set([input.model.name]);
  const visit = (names: readonly string[]): void => {
    for (const name of names) {
      if (visited.has(name)) continue;
      visited.add(name);
      const model = input.lookup(name);
      if (!model) {
        skipped.push({ model: name, reason: 'no such model' });
        continue;
      }
      if (!input.accepts(model)) {
        skipped.push({ model: name, reason: `lacks capability ${input.need}` });
      } else {
        const step = stepFor(model, undefined, true, input.traffic);
        if ('target' in step) steps.push(step);
        else skipped.push(step);
      }
      visit(model.spec.fallbacks ?? []);
    }
  };
  visit(input.model.spec.fallbacks ?? []);
  return { steps, skipped };
}
