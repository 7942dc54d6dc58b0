/**
 * A route is declared once, as data: method, path, schemas and handler. The same declaration is served
 * (by Express, or by the lean inference path when `hot`) and describes the route in /openapi.json.
 * @module
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { z } from 'zod';
import type { Principal, Scope } from './scopes.js';
import { parseOrThrow } from './validate.js';

export type Method = 'get' | 'post' | 'delete';

export interface RouteContext<B, Q> {
  readonly headers: IncomingHttpHeaders;
  readonly body: B;
  readonly query: Q;
  readonly params: Readonly<Record<string, string>>;
  readonly requestId: string;
  /** Who is calling: the name of the router API key the request presented, or `anonymous`. */
  readonly caller: string;
  /** The caller with its scopes and model allow-list (every scope when no keys are configured). */
  readonly principal: Principal;
  readonly log: Logger;
  /** Aborted when the client goes away before the answer. */
  readonly signal: AbortSignal;
  /** When the request arrived (performance.now()). */
  readonly receivedAt: number;
}

export interface RouteResult {
  readonly status?: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** A body already serialised (an upstream's answer passed through), instead of a JSON body. */
  readonly raw?: { readonly body: string | Buffer; readonly contentType: string };
  /** Server-sent events to write (already framed), instead of a JSON body. */
  readonly events?: AsyncIterable<string>;
  /** Inference answers: time spent waiting on backends, so the router's own time can be told apart. */
  readonly upstreamMs?: number;
  /** Inference answers: the operation (generate, classify, embed, tokens), the overhead metric's label. */
  readonly operation?: string;
}

export interface ResponseDoc {
  readonly description: string;
  readonly schema?: z.ZodType;
}

export interface RouteDef<B = undefined, Q = undefined> {
  readonly method: Method;
  /** Express path, e.g. `/api/models/:model_id`. */
  readonly path: string;
  /**
   * Served on the lean path (node:http, no framework) rather than by Express: the inference routes, where
   * the router's own time per request matters. Only POST routes with a body and no path parameters.
   */
  readonly hot?: boolean;
  readonly summary: string;
  readonly tag: string;
  /** The scope a caller needs (403 `permission_denied` without it); checked before the body is read. */
  readonly scope: Scope;
  /**
   * A route that changes a model names its audit action (e.g. `model.download`): it counts against the
   * caller's model-operations limit (ROUTER_MODEL_OPS_LIMIT) and its refusals are audited.
   */
  readonly modelOperation?: string;
  readonly body?: z.ZodType<B>;
  /** A body limit of its own (e.g. batches); MAX_BODY_BYTES otherwise. */
  readonly maxBodyBytes?: number;
  readonly query?: z.ZodType<Q>;
  /** Success responses by status code; error responses are documented for every route. */
  readonly responses: Readonly<Record<number, ResponseDoc>>;
  readonly handler: (ctx: RouteContext<B, Q>) => Promise<RouteResult>;
}

/** Keeps the generic types of one route while letting routes of different types share a list. */
// biome-ignore lint/suspicious/noExplicitAny: route lists hold routes of every body and query type
export type AnyRoute = RouteDef<any, any>;

export function route<B = undefined, Q = undefined>(def: RouteDef<B, Q>): AnyRoute {
  return def as AnyRoute;
}

/** Validates the parts a route declares. */
export function validated(
  def: AnyRoute,
  rawBody: unknown,
  rawQuery: unknown,
): { body: unknown; query: unknown } {
  const body = def.body ? parseOrThrow(def.body, rawBody, 'body') : undefined;
  const query = def.query ? parseOrThrow(def.query, rawQuery, 'query') : undefined;
  return { body, query };
}
