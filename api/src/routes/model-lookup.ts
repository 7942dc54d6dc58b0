/**
 * Looking a model up for a caller: a model outside the key's allow-list is not there.
 * @module
 */
import type { CatalogModel } from '../catalog/catalog.js';
import type { AppDeps } from '../deps.js';
import { ModelNotFoundError } from '../errors.js';
import { mayUseModel, type Principal } from '../http/scopes.js';

/**
 * The model named `id`. A model outside the principal's allow-list is answered as unknown, so a key cannot
 * learn which models exist beyond the ones it may use.
 */
export function findModel(deps: AppDeps, id: string, principal?: Principal): CatalogModel {
  const model = deps.catalog.model(id);
  if (!model || (principal && !mayUseModel(principal, model.name)))
    throw new ModelNotFoundError(`No model named ${id}`, { model_id: id });
  return model;
}

/** The models the principal may see (every model without an allow-list). */
export function visibleModels(deps: AppDeps, principal: Principal): readonly CatalogModel[] {
  const models = deps.catalog.models();
  return principal.models === undefined ? models : models.filter((m) => mayUseModel(principal, m.name));
}
