/**
 * A route is declared once, as data: method, path, schemas and handler. The same declaration registers
 * the Express handler (with validation) and describes the route in /openapi.json.
 * @module
 */
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { parseOrThrow } from './validate.js';

export type Method = 'get' | 'post' | 'delete';

export interface RouteContext<B, Q> {
  readonly req: Request;
  readonly res: Response;
  readonly body: B;
  readonly query: Q;
  readonly params: Readonly<Record<string, string>>;
  readonly requestId: string;
  readonly log: Logger;
  /** Aborted when the client goes away before the answer. */
  readonly signal: AbortSignal;
}

export interface RouteResult {
  readonly status?: number;
  readonly body?: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  /** Server-sent events to write (already framed), instead of a JSON body. */
  readonly events?: AsyncIterable<string>;
}

export interface ResponseDoc {
  readonly description: string;
  readonly schema?: z.ZodType;
}

export interface RouteDef<B = undefined, Q = undefined> {
  readonly method: Method;
  /** Express path, e.g. `/api/models/:model_id`. */
  readonly path: string;
  readonly summary: string;
  readonly tag: string;
  readonly body?: z.ZodType<B>;
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

/** Validates the parts a route declares, then runs it. */
export function validated(def: AnyRoute, req: Request): { body: unknown; query: unknown } {
  const body = def.body ? parseOrThrow(def.body, req.body ?? undefined, 'body') : undefined;
  const query = def.query ? parseOrThrow(def.query, { ...req.query }, 'query') : undefined;
  return { body, query };
}
