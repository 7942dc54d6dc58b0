/**
 * Which version of a model serves a request: the one named; else one drawn from the model's traffic split
 * (`spec.traffic`, when the request takes part in it and a version of the split can serve); else the
 * default; never a deprecated one unless named. Pure.
 * @module
 */
import { resolveDefaultVersion } from '../../../crds/src/index.js';
import type { CatalogModel, CatalogVersion } from '../catalog/catalog.js';
import { VersionNotFoundError } from '../errors.js';
import { pickTrafficVersion, type TrafficRequest } from './traffic-split.js';

export type VersionChoice =
  | { readonly kind: 'version'; readonly version: CatalogVersion }
  /** An external model with no ModelVersions: its endpoint serves it directly. */
  | { readonly kind: 'endpoint' }
  /** Nothing can serve the model (no versions, or every version deprecated). */
  | { readonly kind: 'none'; readonly reason: string };

/** Without `traffic` (a download, a status view) the split is not consulted: the default version answers. */
export function selectVersion(
  model: CatalogModel,
  requested?: string,
  traffic?: TrafficRequest,
): VersionChoice {
  if (requested !== undefined) {
    const named = model.versions.find((v) => v.version === requested);
    if (!named) {
      const known = model.versions.map((v) => v.version).join(', ') || 'none';
      throw new VersionNotFoundError(`Model ${model.name} has no version ${requested} (versions: ${known})`, {
        model_id: model.name,
        version: requested,
      });
    }
    return { kind: 'version', version: named };
  }
  if (model.versions.length === 0) {
    return model.spec.provider === 'openai'
      ? { kind: 'endpoint' }
      : { kind: 'none', reason: `model ${model.name} has no versions` };
  }
  const weighted = traffic ? pickTrafficVersion(model, traffic) : undefined;
  if (weighted) return { kind: 'version', version: weighted };
  const chosen = resolveDefaultVersion(model.versions).version;
  return chosen
    ? { kind: 'version', version: chosen }
    : { kind: 'none', reason: `every version of ${model.name} is deprecated; name one explicitly` };
}
