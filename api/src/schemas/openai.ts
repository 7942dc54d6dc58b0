/**
 * Request and response shapes of the OpenAI-compatible endpoints under /v1. Requests are loose objects:
 * OpenAI clients send many optional fields, and ignoring the ones that do not change the answer here keeps
 * every client working; fields whose values we cannot honour are rejected with a clear 400.
 * @module
 */
import { z } from 'zod';

const model = z.string().min(1).max(128).describe('AIModel name');
const stop = z.union([z.string().min(1).max(64), z.array(z.string().min(1).max(64)).max(4)]).optional();

const textPart = z.looseObject({ type: z.literal('text'), text: z.string() });
const message = z.looseObject({
  role: z.enum(['system', 'user', 'assistant', 'tool', 'developer']),
  content: z
    .union([z.string(), z.array(textPart).min(1)])
    .describe('Text, or text parts (images are not supported)'),
});

const sampling = {
  temperature: z.number().min(0).max(2).optional(),
  top_p: z.number().gt(0).max(1).optional(),
  seed: z.number().int().optional(),
  stop,
  n: z.literal(1).optional().describe('Only one choice per request'),
  stream: z.boolean().optional(),
  stream_options: z.looseObject({ include_usage: z.boolean().optional() }).nullable().optional(),
};

export const chatCompletionRequest = z.looseObject({
  model,
  messages: z.array(message).min(1).max(256),
  max_tokens: z.number().int().min(1).optional(),
  max_completion_tokens: z.number().int().min(1).optional(),
  ...sampling,
});
export type ChatCompletionRequest = z.infer<typeof chatCompletionRequest>;

export const completionRequest = z.looseObject({
  model,
  prompt: z.union([z.string().min(1), z.array(z.string().min(1)).length(1)]).describe('One prompt'),
  max_tokens: z.number().int().min(1).optional(),
  ...sampling,
});
export type CompletionRequest = z.infer<typeof completionRequest>;

export const embeddingRequest = z.looseObject({
  model,
  input: z
    .union([z.string().min(1), z.array(z.string().min(1)).min(1).max(256)])
    .describe('Text, or texts (token arrays are not supported)'),
  encoding_format: z.enum(['float', 'base64']).optional(),
});
export type EmbeddingRequest = z.infer<typeof embeddingRequest>;

const usage = z.object({
  prompt_tokens: z.number().int(),
  completion_tokens: z.number().int(),
  total_tokens: z.number().int(),
});

export const chatCompletion = z.object({
  id: z.string(),
  object: z.literal('chat.completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({
      index: z.number().int(),
      message: z.object({ role: z.literal('assistant'), content: z.string() }),
      finish_reason: z.string(),
      logprobs: z.null(),
    }),
  ),
  usage,
});

export const textCompletion = z.object({
  id: z.string(),
  object: z.literal('text_completion'),
  created: z.number().int(),
  model: z.string(),
  choices: z.array(
    z.object({ index: z.number().int(), text: z.string(), finish_reason: z.string(), logprobs: z.null() }),
  ),
  usage,
});

export const embeddingList = z.object({
  object: z.literal('list'),
  data: z.array(
    z.object({
      object: z.literal('embedding'),
      index: z.number().int(),
      embedding: z.union([z.array(z.number()), z.string()]),
    }),
  ),
  model: z.string(),
  usage: z.object({ prompt_tokens: z.number().int(), total_tokens: z.number().int() }),
});

export const modelObjects = z.object({
  object: z.literal('list'),
  data: z.array(
    z.object({ id: z.string(), object: z.literal('model'), created: z.number().int(), owned_by: z.string() }),
  ),
});
