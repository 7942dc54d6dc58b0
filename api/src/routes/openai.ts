/**
 * The OpenAI-compatible API: /v1/models, /v1/chat/completions (streamed or not), /v1/completions and
 * /v1/embeddings, over the same routing, fallbacks, cache and metering as the REST API, so the official
 * SDKs work unchanged. `x-model-version` pins a version; `cache-control: no-cache` bypasses the cache.
 * @module
 */
import type { AppDeps } from '../deps.js';
import { toApiError } from '../errors.js';
import { type AnyRoute, type RouteContext, route } from '../http/route.js';
import {
  chatCompletionBody,
  embeddingListBody,
  messagesOf,
  openAIEvents,
  paramsOf,
  promptOf,
  textCompletionBody,
} from '../inference/openai-format.js';
import { embedding, generation } from '../inference/operations.js';
import { servedResult } from '../inference/rest.js';
import {
  type ChatCompletionRequest,
  type CompletionRequest,
  chatCompletion,
  chatCompletionRequest,
  completionRequest,
  type EmbeddingRequest,
  embeddingList,
  embeddingRequest,
  modelObjects,
  textCompletion,
} from '../schemas/openai.js';
import { requestContext } from './inference.js';

function routingOf(ctx: RouteContext<{ model: string }, unknown>) {
  const version = ctx.headers['x-model-version'];
  return {
    modelId: ctx.body.model,
    version: typeof version === 'string' ? version : undefined,
    useFallbacks: true,
  };
}

export function openAIRoutes(deps: AppDeps): AnyRoute[] {
  const streamError = (err: unknown) => toApiError(err).toBody();
  return [
    route({
      method: 'get',
      path: '/v1/models',
      summary: 'The models, in the OpenAI list format',
      tag: 'openai',
      responses: { 200: { description: 'Every AIModel', schema: modelObjects } },
      handler: async () => ({
        body: {
          object: 'list',
          data: deps.catalog.models().map((m) => ({
            id: m.name,
            object: 'model',
            created: Math.floor(Date.parse(m.createdAt ?? '1970-01-01T00:00:00Z') / 1000),
            owned_by: m.spec.provider,
          })),
        },
      }),
    }),
    route<ChatCompletionRequest>({
      method: 'post',
      path: '/v1/chat/completions',
      hot: true,
      summary: 'OpenAI-compatible chat completions, streamed as server-sent events when `stream` is true',
      tag: 'openai',
      body: chatCompletionRequest,
      responses: {
        200: { description: 'A chat.completion (or chat.completion.chunk events)', schema: chatCompletion },
      },
      handler: async (ctx) => {
        const op = generation({ kind: 'chat', messages: messagesOf(ctx.body) }, paramsOf(ctx.body));
        if (ctx.body.stream) {
          const served = await deps.inference.stream(op, routingOf(ctx), requestContext(ctx));
          const usage = ctx.body.stream_options?.include_usage ?? false;
          return servedResult(served, op.name, { events: openAIEvents(served, 'chat', usage, streamError) });
        }
        const served = await deps.inference.run(op, routingOf(ctx), requestContext(ctx));
        return servedResult(served, op.name, { body: chatCompletionBody(served) });
      },
    }),
    route<CompletionRequest>({
      method: 'post',
      path: '/v1/completions',
      hot: true,
      summary: 'OpenAI-compatible (legacy) text completions',
      tag: 'openai',
      body: completionRequest,
      responses: { 200: { description: 'A text_completion', schema: textCompletion } },
      handler: async (ctx) => {
        const op = generation({ kind: 'completion', prompt: promptOf(ctx.body) }, paramsOf(ctx.body));
        if (ctx.body.stream) {
          const served = await deps.inference.stream(op, routingOf(ctx), requestContext(ctx));
          const usage = ctx.body.stream_options?.include_usage ?? false;
          return servedResult(served, op.name, {
            events: openAIEvents(served, 'completion', usage, streamError),
          });
        }
        const served = await deps.inference.run(op, routingOf(ctx), requestContext(ctx));
        return servedResult(served, op.name, { body: textCompletionBody(served) });
      },
    }),
    route<EmbeddingRequest>({
      method: 'post',
      path: '/v1/embeddings',
      hot: true,
      summary: 'OpenAI-compatible embeddings (float or base64)',
      tag: 'openai',
      body: embeddingRequest,
      responses: { 200: { description: 'An embedding list', schema: embeddingList } },
      handler: async (ctx) => {
        const texts = typeof ctx.body.input === 'string' ? [ctx.body.input] : ctx.body.input;
        const op = embedding(texts, true);
        const served = await deps.inference.run(op, routingOf(ctx), requestContext(ctx));
        return servedResult(served, op.name, { body: embeddingListBody(served, ctx.body.encoding_format) });
      },
    }),
  ];
}
