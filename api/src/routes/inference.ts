/**
 * Synchronous inference: text generation (optionally streamed) and analysis (classify, embed, tokens).
 * @module
 */
import type { AppDeps } from '../deps.js';
import { toApiError } from '../errors.js';
import { type AnyRoute, type RouteContext, route } from '../http/route.js';
import type { RequestContext } from '../inference/inference-service.js';
import {
  analyzeBody,
  analyzeOperation,
  routing,
  servedHeaders,
  textBody,
  textEvents,
  textOperation,
} from '../inference/rest.js';
import {
  type AnalyzeRequest,
  analyzeRequest,
  analyzeResponse,
  type TextRequest,
  textRequest,
  textResponse,
} from '../schemas/inference.js';

/** Identity, cancellation and cache directives of a request (`cache-control: no-cache`, `x-router-cache: force`). */
export function requestContext(ctx: RouteContext<unknown, unknown>): RequestContext {
  const control = ctx.req.headers['cache-control'];
  const force = ctx.req.headers['x-router-cache'] === 'force';
  const bypass = typeof control === 'string' && /no-cache|no-store/i.test(control);
  return {
    requestId: ctx.requestId,
    caller: 'anonymous',
    signal: ctx.signal,
    cache: bypass ? 'bypass' : force ? 'force' : 'default',
  };
}

export function inferenceRoutes(deps: AppDeps): AnyRoute[] {
  return [
    route<TextRequest>({
      method: 'post',
      path: '/api/inference/text',
      summary: 'Generate text with a model (default version unless one is named), falling back when allowed',
      tag: 'inference',
      body: textRequest,
      responses: {
        200: {
          description: 'The generated text, who served it and what it cost (or an event stream)',
          schema: textResponse,
        },
      },
      handler: async (ctx) => {
        const op = textOperation(ctx.body);
        if (ctx.body.stream) {
          const served = await deps.inference.stream(op, routing(ctx.body), requestContext(ctx));
          return {
            headers: servedHeaders(served),
            events: textEvents(served, (err) => toApiError(err).toBody()),
          };
        }
        const served = await deps.inference.run(op, routing(ctx.body), requestContext(ctx));
        return { body: textBody(served), headers: servedHeaders(served) };
      },
    }),
    route<AnalyzeRequest>({
      method: 'post',
      path: '/api/inference/analyze',
      summary: 'Classify texts, embed them, or tokenize them',
      tag: 'inference',
      body: analyzeRequest,
      responses: { 200: { description: 'One result per input text, in order', schema: analyzeResponse } },
      handler: async (ctx) => {
        const served = await deps.inference.run(
          analyzeOperation(ctx.body),
          routing(ctx.body),
          requestContext(ctx),
        );
        return { body: analyzeBody(ctx.body.task, served), headers: servedHeaders(served) };
      },
    }),
  ];
}
