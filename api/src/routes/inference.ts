/**
 * Synchronous inference: text generation (optionally streamed) and analysis (classify, embed, tokens).
 * @module
 */
import type { AppDeps } from '../deps.js';
import { toApiError, ValidationError } from '../errors.js';
import { type AnyRoute, type RouteContext, type RouteResult, route } from '../http/route.js';
import { requireModel, requireScope } from '../http/scopes.js';
import type { RequestContext } from '../inference/inference-service.js';
import {
  analyzeBody,
  analyzeOperation,
  routing,
  servedResult,
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
import { batchAccepted } from '../schemas/jobs.js';
import { submitJob } from './jobs.js';

const MAX_TIMEOUT_MS = 3_600_000;

/** `x-router-timeout-ms`: the caller's deadline for the whole request, in whole milliseconds. */
export function timeoutHeader(value: string | string[] | undefined): number | undefined {
  if (value === undefined) return undefined;
  const ms = typeof value === 'string' && /^\d{1,7}$/.test(value.trim()) ? Number(value) : Number.NaN;
  if (ms >= 1 && ms <= MAX_TIMEOUT_MS) return ms;
  throw new ValidationError(
    `Invalid x-router-timeout-ms header: expected whole milliseconds from 1 to ${MAX_TIMEOUT_MS}`,
    {
      problems: [{ path: 'headers.x-router-timeout-ms', message: `an integer from 1 to ${MAX_TIMEOUT_MS}` }],
    },
  );
}

/**
 * Identity, deadline, cancellation and cache directives of a request (`x-router-timeout-ms`,
 * `cache-control: no-cache`, `x-router-cache: force`).
 */
export function requestContext(ctx: RouteContext<unknown, unknown>): RequestContext {
  const control = ctx.headers['cache-control'];
  const force = ctx.headers['x-router-cache'] === 'force';
  const bypass = typeof control === 'string' && /no-cache|no-store/i.test(control);
  const timeoutMs = timeoutHeader(ctx.headers['x-router-timeout-ms']);
  return {
    requestId: ctx.requestId,
    caller: ctx.caller,
    signal: ctx.signal,
    cache: bypass ? 'bypass' : force ? 'force' : 'default',
    receivedAt: ctx.receivedAt,
    headers: ctx.headers,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
  };
}

/**
 * `"async": true`: a one-item job, answered like a batch (202 and the status URL). A job is batch work: a key
 * without `batch` could neither poll nor cancel it, so it is refused here rather than left in the queue.
 */
function asyncText(deps: AppDeps, ctx: RouteContext<TextRequest, unknown>): Promise<RouteResult> {
  requireScope(ctx.principal, 'batch');
  const { stream, async: _async, ...item } = ctx.body;
  if (stream) {
    throw new ValidationError('async and stream cannot be combined: poll the job, or stream the answer', {
      problems: [{ path: 'body.async', message: 'cannot be combined with stream' }],
    });
  }
  return submitJob(deps, [{ type: 'text', ...item }], {
    priority: 'standard',
    headers: ctx.headers,
    caller: ctx.caller,
  });
}

export function inferenceRoutes(deps: AppDeps): AnyRoute[] {
  return [
    route<TextRequest>({
      method: 'post',
      path: '/api/inference/text',
      hot: true,
      summary: 'Generate text with a model (default version unless one is named), falling back when allowed',
      tag: 'inference',
      scope: 'inference',
      body: textRequest,
      responses: {
        200: {
          description: 'The generated text, who served it and what it cost (or an event stream)',
          schema: textResponse,
        },
        202: { description: 'With "async": true, the job to poll', schema: batchAccepted },
      },
      handler: async (ctx) => {
        requireModel(ctx.principal, ctx.body.model_id);
        if (ctx.body.async) return asyncText(deps, ctx);
        const op = textOperation(ctx.body);
        if (ctx.body.stream) {
          const served = await deps.inference.stream(op, routing(ctx.body), requestContext(ctx));
          return servedResult(served, op.name, {
            events: textEvents(served, (err) => toApiError(err).toBody()),
          });
        }
        const served = await deps.inference.run(op, routing(ctx.body), requestContext(ctx));
        return servedResult(served, op.name, { body: textBody(served) });
      },
    }),
    route<AnalyzeRequest>({
      method: 'post',
      path: '/api/inference/analyze',
      hot: true,
      summary: 'Classify texts, embed them, or tokenize them',
      tag: 'inference',
      scope: 'inference',
      body: analyzeRequest,
      responses: { 200: { description: 'One result per input text, in order', schema: analyzeResponse } },
      handler: async (ctx) => {
        requireModel(ctx.principal, ctx.body.model_id);
        const op = analyzeOperation(ctx.body);
        const served = await deps.inference.run(op, routing(ctx.body), requestContext(ctx));
        return servedResult(served, op.name, { body: analyzeBody(ctx.body.task, served) });
      },
    }),
  ];
}
