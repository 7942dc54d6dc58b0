/**
 * What the router itself reads of requests to the OpenAI-compatible endpoints under /v1: the model, and
 * the few fields without which no target could answer. Everything else is the target's to read: passed
 * through to OpenAI-compatible upstreams as sent, honoured or refused by name for runtime models
 * (inference/openai-runtime.ts). Response schemas document /openapi.json.
 * @module
 */
import { z } from 'zod';

const model = z.string().min(1).max(256).describe('AIModel name');
const stream = z.boolean().optional();

export const chatCompletionRequest = z
  .looseObject({
    model,
    messages: z.array(z.unknown()).min(1).describe('Messages of any role and content part type'),
    stream,
  })
  .describe('Any OpenAI chat completion parameter; passed through to OpenAI-compatible upstreams');

export const completionRequest = z
  .looseObject({
    model,
    prompt: z.union([z.string(), z.array(z.unknown()).min(1)]).describe('Text, texts or token arrays'),
    stream,
  })
  .describe('Any OpenAI completion parameter; passed through to OpenAI-compatible upstreams');

export const embeddingRequest = z
  .looseObject({
    model,
    input: z.union([z.string(), z.array(z.unknown()).min(1)]).describe('Text, texts or token arrays'),
  })
  .describe('Any OpenAI embeddings parameter (dimensions, encoding_format, ...)');

export const responseRequest = z
  .looseObject({ model, stream })
  .describe('Any Responses API parameter; passed through to OpenAI-compatible upstreams');

const usage = z.looseObject({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});

export const chatCompletion = z.looseObject({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.looseObject({ index: z.number().int(), message: z.looseObject({}), finish_reason: z.string() }),
  ),
  usage,
});

export const textCompletion = z.looseObject({
  id: z.string(),
  object: z.literal('text_completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(z.looseObject({ index: z.number().int(), text: z.string(), finish_reason: z.string() })),
  usage,
});

export const embeddingList = z.looseObject({
  object: z.literal('list'),
  data: z.array(
    z.looseObject({
      object: z.literal('embedding'),
      index: z.number().int(),
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  model: z.string(),
  usage: z.looseObject({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
});

export const responseObject = z.looseObject({ id: z.string(), object: z.literal('response') });

export const modelObject = z.object({
  id: z.string(),
  object: z.literal('model'),
  created: z.number().int(),
  owned_by: z.string(),
});

export const modelObjects = z.object({ object: z.literal('list'), data: z.array(modelObject) });
