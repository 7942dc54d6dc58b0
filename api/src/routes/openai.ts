/**
 * The OpenAI-compatible API: /v1/models (and one model), /v1/chat/completions, /v1/completions,
 * /v1/embeddings and /v1/responses, over the same routing, fallbacks, cache and metering as the REST API,
 * so the official SDKs work unchanged. Requests are passed through to OpenAI-compatible upstreams as sent
 * (but for `model`) and their answers come back as sent; runtime models honour or refuse each parameter.
 * `x-model-version` pins a version; `cache-control: no-cache` bypasses the cache. Errors are in OpenAI's
 * shape (http/respond.ts).
 * @module
 */
import type { CatalogModel } from '../catalog/catalog.js';
import type { AppDeps } from '../deps.js';
import { ModelNotFoundError, toApiError } from '../errors.js';
import { type AnyRoute, type RouteContext, type RouteResult, route } from '../http/route.js';
import { mayUseModel, requireModel } from '../http/scopes.js';
import { type OpenAIAnswer, openAIOperation } from '../inference/openai-operation.js';
import type { OpenAIEndpoint } from '../inference/openai-runtime.js';
import { servedResult } from '../inference/rest.js';
import type { Served, StreamServed } from '../inference/served.js';
import {
  chatCompletion,
  chatCompletionRequest,
  completionRequest,
  embeddingList,
  embeddingRequest,
  modelObject,
  modelObjects,
  responseObject,
  responseRequest,
  textCompletion,
} from '../schemas/openai.js';
import { requestContext } from './inference.js';

type Body = Record<string, unknown> & { model: string; stream?: boolean };

function routingOf(ctx: RouteContext<Body, unknown>) {
  const version = ctx.headers['x-model-version'];
  return {
    modelId: ctx.body.model,
    version: typeof version === 'string' ? version : undefined,
    useFallbacks: true,
  };
}

function modelView(m: CatalogModel) {
  return {
    id: m.name,
    object: 'model' as const,
    created: Math.floor(Date.parse(m.createdAt ?? '1970-01-01T00:00:00Z') / 1000),
    owned_by: m.spec.provider,
  };
}

/** The events of a served stream as written: each event as it came, an error event and [DONE] on failure. */
async function* sseOf(served: StreamServed): AsyncIterable<string> {
  try {
    for await (const event of served.events) if (event.type === 'frame') yield event.frame;
  } catch (err) {
    // Headers are gone: a failure mid-stream can only be told in the stream itself.
    yield `data: ${JSON.stringify(toApiError(err).toOpenAIBody())}\n\n`;
    yield 'data: [DONE]\n\n';
  }
}

function openAIHandler(deps: AppDeps, endpoint: OpenAIEndpoint) {
  return async (ctx: RouteContext<Body, unknown>): Promise<RouteResult> => {
    requireModel(ctx.principal, ctx.body.model, { param: 'model' });
    const op = openAIOperation(endpoint, ctx.body);
    if (ctx.body.stream === true && endpoint !== 'embeddings') {
      const served = await deps.inference.stream(op, routingOf(ctx), requestContext(ctx));
      return servedResult(served, op.name, { events: sseOf(served) });
    }
    const served: Served<OpenAIAnswer> = await deps.inference.run(op, routingOf(ctx), requestContext(ctx));
    return servedResult(served, op.name, {
      raw: { body: served.value.body, contentType: served.value.contentType },
    });
  };
}

export function openAIRoutes(deps: AppDeps): AnyRoute[] {
  return [
    route({
      method: 'get',
      path: '/v1/models',
      summary: 'The models, in the OpenAI list format',
      tag: 'openai',
      scope: 'models:read',
      responses: { 200: { description: 'Every AIModel', schema: modelObjects } },
      handler: async ({ principal }) => ({
        body: {
          object: 'list',
          data: deps.catalog
            .models()
            .filter((m) => mayUseModel(principal, m.name))
            .map(modelView),
        },
      }),
    }),
    route({
      method: 'get',
      path: '/v1/models/:model_id',
      summary: 'One model, in the OpenAI format',
      tag: 'openai',
      scope: 'models:read',
      responses: { 200: { description: 'The AIModel', schema: modelObject } },
      handler: async (ctx) => {
        const id = ctx.params.model_id as string;
        const model = deps.catalog.model(id);
        // Outside the key's allow-list reads as unknown: a key learns nothing of the models it may not use.
        if (!model || !mayUseModel(ctx.principal, model.name))
          throw new ModelNotFoundError(`No model named ${id}`, { model_id: id }, { param: 'model' });
        return { body: modelView(model) };
      },
    }),
    route<Body>({
      method: 'post',
      path: '/v1/chat/completions',
      hot: true,
      summary: 'OpenAI-compatible chat completions, streamed as server-sent events when `stream` is true',
      tag: 'openai',
      scope: 'inference',
      body: chatCompletionRequest as never,
      responses: {
        200: { description: 'A chat.completion (or chat.completion.chunk events)', schema: chatCompletion },
      },
      handler: openAIHandler(deps, 'chat'),
    }),
    route<Body>({
      method: 'post',
      path: '/v1/completions',
      hot: true,
      summary: 'OpenAI-compatible (legacy) text completions',
      tag: 'openai',
      scope: 'inference',
      body: completionRequest as never,
      responses: { 200: { description: 'A text_completion', schema: textCompletion } },
      handler: openAIHandler(deps, 'completions'),
    }),
    route<Body>({
      method: 'post',
      path: '/v1/embeddings',
      hot: true,
      summary: 'OpenAI-compatible embeddings (float or base64)',
      tag: 'openai',
      scope: 'inference',
      body: embeddingRequest as never,
      responses: { 200: { description: 'An embedding list', schema: embeddingList } },
      handler: openAIHandler(deps, 'embeddings'),
    }),
    route<Body>({
      method: 'post',
      path: '/v1/responses',
      hot: true,
      summary: 'The OpenAI Responses API (streamed when `stream` is true), for OpenAI-compatible providers',
      tag: 'openai',
      scope: 'inference',
      body: responseRequest as never,
      responses: { 200: { description: 'A response object (or its events)', schema: responseObject } },
      handler: openAIHandler(deps, 'responses'),
    }),
  ];
}
