/**
 * What a router API key may do. A key carries scopes (`caller:key:scope,scope,...`); a route names the scope
 * it needs and the pipeline refuses a caller without it (403 `permission_denied`, naming the scope). A key may
 * also carry a model allow-list (`models=glob|glob`): it may ask only for models whose name matches.
 *
 * With no keys configured (local mode on a laptop) the caller is `anonymous` and holds every scope.
 * Pure.
 * @module
 */
import { PermissionDeniedError } from '../errors.js';

export const SCOPES = [
  'inference',
  'batch',
  'models:read',
  'models:admin',
  'usage:own',
  'usage:all',
  'jobs:all',
] as const;

export type Scope = (typeof SCOPES)[number];

/** What a key declared without scopes may do: today's ordinary work, nothing administrative. */
export const DEFAULT_SCOPES: readonly Scope[] = ['inference', 'batch', 'models:read', 'usage:own'];

/** Who is calling and what it may do. */
export interface Principal {
  /** The caller's name (the metering dimension), `anonymous` when no keys are configured. */
  readonly caller: string;
  readonly scopes: ReadonlySet<Scope>;
  /** The models it may ask for, as globs (`*` matches any run of characters); absent: every model. */
  readonly models?: readonly string[];
}

/**
 * A wider scope holds the narrower one it extends: every caller's figures include one's own, and whoever may
 * change models may read them. (jobs:all extends batch's job reads but does not grant submitting batches.)
 */
const IMPLIED: Readonly<Partial<Record<Scope, readonly Scope[]>>> = {
  'usage:all': ['usage:own'],
  'models:admin': ['models:read'],
};

/** The scopes declared plus the ones they imply. */
export function withImplied(scopes: Iterable<Scope>): Set<Scope> {
  const all = new Set<Scope>();
  for (const scope of scopes) {
    all.add(scope);
    for (const implied of IMPLIED[scope] ?? []) all.add(implied);
  }
  return all;
}

export const isScope = (text: string): text is Scope => (SCOPES as readonly string[]).includes(text);

/** The principal of an open router (no keys): anonymous, every scope, every model. */
export const OPEN_PRINCIPAL: Principal = Object.freeze({
  caller: 'anonymous',
  scopes: new Set<Scope>(SCOPES),
});

export function hasScope(principal: Principal, scope: Scope): boolean {
  return principal.scopes.has(scope);
}

/** Throws PermissionDeniedError (403) naming the scope when the principal lacks it. */
export function requireScope(principal: Principal, scope: Scope): void {
  if (principal.scopes.has(scope)) return;
  throw new PermissionDeniedError(`This API key (${principal.caller}) lacks the scope ${scope}`, {
    scope,
    caller: principal.caller,
  });
}

const globCache = new Map<string, RegExp>();

function globPattern(glob: string): RegExp {
  let pattern = globCache.get(glob);
  if (!pattern) {
    const body = glob
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*');
    pattern = new RegExp(`^${body}$`);
    globCache.set(glob, pattern);
  }
  return pattern;
}

/** Whether the principal's model allow-list lets it ask for this model. */
export function mayUseModel(principal: Principal, model: string): boolean {
  return principal.models === undefined || principal.models.some((glob) => globPattern(glob).test(model));
}

/**
 * Throws PermissionDeniedError (403) naming the model when it is outside the principal's allow-list; `param`
 * is the OpenAI error's param (`model` on /v1), `item` the index of a batch item.
 */
export function requireModel(
  principal: Principal,
  model: string,
  where: { readonly param?: string; readonly item?: number } = {},
): void {
  if (mayUseModel(principal, model)) return;
  const atItem = where.item === undefined ? '' : ` (batch item ${where.item})`;
  throw new PermissionDeniedError(
    `This API key (${principal.caller}) may not use the model ${model}${atItem}`,
    {
      model_id: model,
      caller: principal.caller,
      ...(where.item === undefined ? {} : { item: where.item }),
    },
    where.param === undefined ? undefined : { param: where.param },
  );
}
