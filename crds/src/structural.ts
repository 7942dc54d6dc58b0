/**
 * Turns the JSON Schema zod emits into a Kubernetes structural schema (apiextensions.k8s.io/v1): no
 * `additionalProperties: false`, free-form objects marked `x-kubernetes-preserve-unknown-fields`, no
 * combinators (except the int-or-string shape), and only the metadata fields the API server allows.
 * @module
 */
import { z } from 'zod';

export type JsonSchema = { [key: string]: unknown };

const SAFE_INT = Number.MAX_SAFE_INTEGER;
const DROPPED_KEYS = new Set(['$schema', 'id', '$id', 'format', 'title']);
const COMBINATORS = ['anyOf', 'oneOf', 'allOf', 'not'];
/** Formats the API server checks itself; zod's long regex for them would only repeat the check. */
const SERVER_FORMATS = new Set(['date-time']);

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

/**
 * A zod union of an integer and a string marked `x-kubernetes-int-or-string` (quantity.ts): the API server
 * takes the mark alone for "integer or string", so the union goes and the string's pattern stays (a JSON
 * Schema pattern constrains strings only, so integers pass it).
 */
function intOrString(node: JsonSchema, path: string): JsonSchema {
  const branches = (node.anyOf ?? []) as JsonSchema[];
  const types = branches.map((b) => b.type).sort();
  if (types.join() !== 'integer,string')
    throw new Error(`${path}: x-kubernetes-int-or-string needs a union of an integer and a string`);
  const pattern = branches.find((b) => b.type === 'string')?.pattern;
  return {
    'x-kubernetes-int-or-string': true,
    ...(typeof node.description === 'string' ? { description: node.description } : {}),
    ...(pattern ? { pattern } : {}),
  };
}

/** Rewrites one schema node (and its children) into structural form. Throws on what CRDs cannot express. */
export function toStructural(node: JsonSchema, path = '$'): JsonSchema {
  if (node['x-kubernetes-int-or-string'] === true) return intOrString(node, path);
  if (typeof node.format === 'string' && SERVER_FORMATS.has(node.format)) {
    const { pattern: _zodPattern, format, ...rest } = node;
    return { ...toStructural(rest, path), format };
  }
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
  // The API server validates metadata itself and rejects schemas that constrain more than name/generateName
  // (a description too: kubectl explain shows ObjectMeta's own). apiVersion and kind stay open so a future
  // version can be served beside this one.
  properties.metadata = { type: 'object' };
  properties.apiVersion = {
    type: 'string',
    description: 'Versioned schema of this representation of the object (ai.paissive.io/v1alpha1)',
  };
  properties.kind = { type: 'string', description: 'REST resource this object represents' };
  structural.required = (structural.required as string[]).filter((field) => field === 'spec');
  return structural;
}
