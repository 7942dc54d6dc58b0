/**
 * /openapi.json, generated from the same route declarations and zod schemas that validate requests.
 * @module
 */
import { z } from 'zod';
import type { AnyRoute } from './http/route.js';

type Json = Record<string, unknown>;

const errorSchema = z.object({
  error: z.object({
    code: z.string().describe('Stable machine-readable code, e.g. invalid_request, model_not_found'),
    message: z.string(),
    details: z.unknown().optional(),
  }),
});

const ERROR_RESPONSES: Record<string, string> = {
  '400': 'Invalid request (validation problems in details.problems)',
  '401': 'An API key is required (ROUTER_API_KEYS) and none, or an unknown one, was sent',
  '403':
    'permission_denied: the API key lacks the scope this operation requires (details.scope), or may not use the model it names (details.model_id)',
  '404': 'Unknown model, version, job or route',
  '413':
    'payload_too_large: body or batch too large; job_too_large: a batch larger than one caller may hold in the in-memory job store (no Redis)',
  '429':
    "rate_limited: the caller's request limit (ROUTER_RATE_LIMITS) or model-operations limit (ROUTER_MODEL_OPS_LIMIT) is reached; token_limit_exceeded or spend_limit_exceeded: its token or spend budget (ROUTER_TOKEN_LIMITS, ROUTER_SPEND_LIMITS) has no room (token refusals carry x-ratelimit-*-tokens headers); job_store_full: the in-memory job store has no room. Retry-After says when to try again",
  '415': 'Body is not JSON',
  '503': 'No model of the fallback chain could serve (details.attempts)',
  '504': 'Timed out before any model answered',
};

/** What an inference route adds: the model's guardrails can refuse the request or its answer. */
const INFERENCE_RESPONSES: Record<string, string> = {
  '400':
    'Invalid request (validation problems in details.problems), or guardrail_blocked: an input guardrail of the model refused it (details.rule, never the text)',
  '422':
    'guardrail_blocked: an output guardrail of the model refused the answer (details.rule, never the text)',
  '503':
    'No model of the fallback chain could serve (details.attempts), or guardrail_unavailable: the guard model could not answer or the guardrails are invalid',
};

function schemaOf(schema: z.ZodType, io: 'input' | 'output'): Json {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  delete json.$schema;
  return json;
}

const toOpenApiPath = (path: string): string => path.replace(/:([a-z_]+)/g, '{$1}');

function queryParameters(schema: z.ZodType | undefined): Json[] {
  if (!schema) return [];
  const json = schemaOf(schema, 'input');
  const props = (json.properties ?? {}) as Record<string, Json>;
  const required = new Set((json.required as string[] | undefined) ?? []);
  return Object.entries(props).map(([name, s]) => ({
    name,
    in: 'query',
    required: required.has(name),
    ...(s.description ? { description: s.description } : {}),
    schema: s,
  }));
}

function operation(def: AnyRoute): Json {
  const pathParams = [...def.path.matchAll(/:([a-z_]+)/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));
  const responses: Json = {};
  for (const [status, doc] of Object.entries(def.responses)) {
    responses[status] = {
      description: doc.description,
      ...(doc.schema ? { content: { 'application/json': { schema: schemaOf(doc.schema, 'output') } } } : {}),
    };
  }
  const errors = def.scope === 'inference' ? { ...ERROR_RESPONSES, ...INFERENCE_RESPONSES } : ERROR_RESPONSES;
  for (const [status, description] of Object.entries(errors)) {
    responses[status] = {
      description,
      content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
    };
  }
  return {
    summary: def.summary,
    description: `Requires the scope \`${def.scope}\` when the router declares API keys (403 permission_denied without it).${
      def.modelOperation
        ? ' Counts against the model-operations limit (ROUTER_MODEL_OPS_LIMIT per caller).'
        : ''
    }`,
    'x-required-scope': def.scope,
    tags: [def.tag],
    operationId: `${def.method}${def.path.replace(/[/:{}]+(\w)/g, (_, c: string) => c.toUpperCase())}`,
    parameters: [...pathParams, ...queryParameters(def.query)],
    ...(def.body
      ? {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: schemaOf(def.body, 'input') } },
          },
        }
      : {}),
    responses,
  };
}

const OPERATIONAL: Record<string, Json> = {
  '/healthz': {
    get: {
      summary: 'Liveness: the process answers',
      tags: ['operations'],
      responses: { 200: { description: 'Alive' } },
    },
  },
  '/readyz': {
    get: {
      summary: 'Readiness: catalog loaded, no runtime still starting, ready runtimes answer',
      description:
        'Answers {ready, reason} to anyone (no key needed, never 401); the per-check report with runtime addresses only to a key holding models:admin, or to anyone when the router declares no keys.',
      tags: ['operations'],
      responses: {
        200: { description: 'Ready' },
        503: { description: 'Not ready; reason says what is missing' },
      },
    },
  },
  '/metrics': {
    get: {
      summary: 'Prometheus metrics (text exposition format)',
      tags: ['operations'],
      responses: { 200: { description: 'Metrics' } },
    },
  },
  '/openapi.json': {
    get: {
      summary: 'This document',
      tags: ['operations'],
      responses: { 200: { description: 'OpenAPI 3.1' } },
    },
  },
};

export function openApiDocument(routes: readonly AnyRoute[], version: string): Json {
  const paths: Record<string, Json> = { ...OPERATIONAL };
  for (const def of routes) {
    const path = toOpenApiPath(def.path);
    paths[path] = { ...(paths[path] ?? {}), [def.method]: operation(def) };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'paissive router',
      version,
      description:
        'Models, versions, inference, batch jobs, metrics, usage and cost over AIModel/ModelVersion resources.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Error: schemaOf(errorSchema, 'output') },
      // Enforced only when the router declares keys (ROUTER_API_KEYS / ROUTER_API_KEYS_FILE).
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' },
      },
    },
    security: [{ bearer: [] }, { apiKey: [] }, {}],
  };
}
