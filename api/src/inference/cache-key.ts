/**
 * Which requests the response cache may answer, and under which key. Pure.
 * @module
 */
import { createHash } from 'node:crypto';

export type CacheStatus = 'HIT' | 'MISS' | 'BYPASS' | 'SKIP' | 'ERROR';

/** What the caller asked of the cache (`cache-control: no-cache` → bypass; `x-router-cache: force` → force). */
export type CacheMode = 'default' | 'bypass' | 'force';

export interface CachePlan {
  /** Set when the cache is consulted. */
  readonly key?: string;
  readonly ttlSeconds: number;
  /** The status when no lookup happens. */
  readonly status: CacheStatus;
}

export interface CachePlanInput {
  readonly mode: CacheMode;
  /** The request's output is fully determined by its input (greedy decoding, classification, embeddings). */
  readonly deterministic: boolean;
  readonly ttlSeconds: number;
  readonly model: string;
  /** The version the request resolves to before any fallback. */
  readonly version?: string;
  readonly operation: string;
  /** Every request field that changes the output, beyond model and version. */
  readonly fields: unknown;
  /**
   * Whose answers these are: the caller, so one caller's cached answer never answers (or reveals) another's
   * prompt; absent for a model whose AIModel shares its cache (spec.cache.scope: shared).
   */
  readonly partition?: string;
}

/**
 * Sampled requests (temperature > 0) are cached only when the caller forces it; `no-cache` always skips
 * the lookup; a TTL of 0 turns caching off for the model.
 */
export function cachePlan(input: CachePlanInput): CachePlan {
  if (input.mode === 'bypass') return { ttlSeconds: 0, status: 'BYPASS' };
  if (input.ttlSeconds <= 0 || (!input.deterministic && input.mode !== 'force')) {
    return { ttlSeconds: 0, status: 'SKIP' };
  }
  return { key: cacheKey(input), ttlSeconds: input.ttlSeconds, status: 'MISS' };
}

/** sha256 over a canonical JSON of the fields (key order does not matter; absent and undefined are equal). */
export function cacheKey(
  input: Pick<CachePlanInput, 'model' | 'version' | 'operation' | 'fields' | 'partition'>,
): string {
  const scope = input.partition === undefined ? [] : [{ caller: input.partition }];
  const canonical = canonicalJson([
    input.model,
    input.version ?? '',
    input.operation,
    input.fields,
    ...scope,
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/** JSON with object keys sorted and undefined members left out (as JSON.stringify leaves them out). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  return Array.isArray(value) ? canonicalArray(value) : canonicalObject(value as Record<string, unknown>);
}

function omitted(item: unknown): boolean {
  return item === undefined || typeof item === 'function';
}

function canonicalArray(value: unknown[]): string {
  let out = '[';
  for (let i = 0; i < value.length; i++) {
    const item = value[i];
    out += `${i > 0 ? ',' : ''}${omitted(item) ? 'null' : canonicalJson(item)}`;
  }
  return `${out}]`;
}

function canonicalObject(record: Record<string, unknown>): string {
  let out = '{';
  let first = true;
  for (const key of Object.keys(record).sort()) {
    const item = record[key];
    if (omitted(item)) continue;
    out += `${first ? '' : ','}${JSON.stringify(key)}:${canonicalJson(item)}`;
    first = false;
  }
  return `${out}}`;
}
