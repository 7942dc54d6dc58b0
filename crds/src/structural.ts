/**
 * Turns the JSON Schema zod emits into a Kubernetes structural schema (apiextensions.k8s.io/v1): no
 * `additionalProperties: false`, free-form objects marked `x-kubernetes-preserve-unknown-fields`, no
 * combinators, and only the metadata fields the API server allows.
 * @module
 */
import { z } from 'zod';

export type JsonSchema = { [key: string]: unknown };

const SAFE_INT = Number.MAX_SAFE_INTEGER;
const DROPPED_KEYS = new Set(['$schema', 'id', '$id', 'format', 'title']);
const COMBINATORS = ['anyOf', 'oneOf', 'allOf', 'not'];

function isObject(value: unknown): value is JsonSchema {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function convertKey(out: JsonSchema, key: string, value: unknown, path: string): void {
  if (DROPPED_KEYS.has(key)) return;
  if ((key === 'minimum' && value === -SAFE_INT) || (key === 'maximum' && value === SAFE_INT)) return;
  if (key === 'properties' && isObject(value)) {
    out.properties = Object.fromEntries(
      Object.entries(value).map(([name, child]) => [
        name,
        toStructural(child as JsonSchema, `${path}.${name}`),
      ]),
    );
  } else if (key === 'items' && isObject(value)) {
    out.items = toStructural(value, `${path}[]`);
  } else if (key === 'additionalProperties') {
    // Free-form maps become preserve-unknown; typed maps keep their value schema; `false` is the default.
    if (isObject(value) && Object.keys(value).length > 0)
      out.additionalProperties = toStructural(value, `${path}{}`);
    else if (isObject(value)) out['x-kubernetes-preserve-unknown-fields'] = true;
  } else {
    out[key] = value;
  }
}

/** Rewrites one schema node (and its children) into structural form. Throws on what CRDs cannot express. */
export function toStructural(node: JsonSchema, path = '$'): JsonSchema {
  for (const key of COMBINATORS) {
    if (key in node) throw new Error(`${path}: ${key} cannot be expressed in a structural CRD schema`);
  }
  const out: JsonSchema = {};
  for (const [key, value] of Object.entries(node)) convertKey(out, key, value, path);
  if (out['x-kubernetes-preserve-unknown-fields'] === true) delete out.additionalProperties;
  return out;
}

/** The openAPIV3Schema of a resource: zod schema in, structural schema with a bare `metadata` out. */
export function resourceSchema(schema: z.ZodType): JsonSchema {
  const json = z.toJSONSchema(schema, {
    target: 'openapi-3.0',
    io: 'input',
    unrepresentable: 'throw',
  }) as JsonSchema;
  const structural = toStructural(json);
  const properties = structural.properties as JsonSchema;
  // The API server validates metadata itself and rejects schemas that constrain more than name/generateName.
  // apiVersion and kind stay open so a future version can be served beside this one.
  properties.metadata = { type: 'object' };
  properties.apiVersion = { type: 'string' };
  properties.kind = { type: 'string' };
  structural.required = (structural.required as string[]).filter((field) => field === 'spec');
  return structural;
}
