/**
 * Synchronous inference: text generation and analysis (classify, embed, tokens).
 * @module
 */
import type { AppDeps } from '../deps.js';
import { type AnyRoute, type RouteContext, route } from '../http/route.js';
import type { RequestContext } from '../inference/inference-service.js';
import {
  type AnalyzeRequest,
  analyzeRequest,
  analyzeResponse,
  type TextRequest,
  textRequest,
  textResponse,
} from '../schemas/inference.js';

export function requestContext(ctx: RouteContext<unknown, unknown>): RequestContext {
  return { requestId: ctx.requestId, caller: 'anonymous', signal: ctx.signal };
}

/** Headers that say who served an inference request, and how much of the latency was the router's. */
export function servedHeaders(r: {
  model_id: string;
  version?: string;
  fallback_used: boolean;
  attempts: readonly unknown[];
  overheadMs: number;
}): Record<string, string> {
  return {
    'x-model-id': r.model_id,
    ...(r.version ? { 'x-model-version': r.version } : {}),
    'x-fallback-used': String(r.fallback_used),
    'x-router-attempts': String(r.attempts.length),
    'x-router-overhead-ms': r.overheadMs.toFixed(2),
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
        200: { description: 'The generated text, who served it and what it cost', schema: textResponse },
      },
      handler: async (ctx) => {
        const { overheadMs, ...body } = await deps.inference.text(ctx.body, requestContext(ctx));
        return { body, headers: servedHeaders({ ...body, overheadMs }) };
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
        const { overheadMs, ...body } = await deps.inference.analyze(ctx.body, requestContext(ctx));
        return { body, headers: servedHeaders({ ...body, overheadMs }) };
      },
    }),
  ];
}
