/**
 * Batch job schemas: a batch is a list of text, analyze or chat requests with a priority, answered later
 * in the same order.
 * @module
 */
import { z } from 'zod';
import { analyzeRequest, generationParameters, MAX_INPUT_CHARS, textRequest } from './inference.js';

const customId = z.string().min(1).max(128).optional().describe('Your id for the item, echoed in its result');

const chatContent = z
  .union([
    z.string().max(MAX_INPUT_CHARS),
    z.array(z.strictObject({ type: z.literal('text'), text: z.string().max(MAX_INPUT_CHARS) })).min(1),
  ])
  .describe('Text, or text parts');

const chatItem = z.strictObject({
  type: z.literal('chat'),
  custom_id: customId,
  model_id: textRequest.shape.model_id,
  version: textRequest.shape.version,
  messages: z
    .array(
      z.strictObject({
        role: z.enum(['system', 'user', 'assistant', 'developer']),
        content: chatContent,
      }),
    )
    .min(1)
    .max(256),
  parameters: generationParameters.optional(),
  use_fallbacks: textRequest.shape.use_fallbacks,
});

const { stream: _stream, async: _async, ...textFields } = textRequest.shape;

export const batchItem = z.discriminatedUnion('type', [
  z.strictObject({ ...textFields, type: z.literal('text'), custom_id: customId }),
  analyzeRequest.extend({ type: z.literal('analyze'), custom_id: customId }),
  chatItem,
]);
export type BatchItem = z.infer<typeof batchItem>;

export const jobPriority = z
  .enum(['critical', 'standard', 'background'])
  .describe(
    'critical items run before standard ones, standard before background; live requests always first',
  );
export type JobPriority = z.infer<typeof jobPriority>;

export const idempotencyKey = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'idempotency_key must be printable ASCII without spaces')
  .describe('The same key within the job TTL returns the same job instead of a new one');

export const batchRequest = z.strictObject({
  requests: z.array(batchItem).min(1, 'requests must hold at least one item'),
  priority: jobPriority.default('standard'),
  idempotency_key: idempotencyKey.optional(),
});
export type BatchRequest = z.infer<typeof batchRequest>;

export const jobState = z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']);
export type JobState = z.infer<typeof jobState>;

export const itemStatus = z.enum(['pending', 'succeeded', 'failed', 'cancelled']);
export type ItemStatus = z.infer<typeof itemStatus>;

export const itemError = z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() });

export const itemResult = z.object({
  index: z.number().int(),
  custom_id: z.string().optional(),
  status: itemStatus,
  response: z.record(z.string(), z.unknown()).optional(),
  error: itemError.optional(),
});
export type ItemResult = z.infer<typeof itemResult>;

export const jobView = z.object({
  job_id: z.string(),
  status: jobState,
  priority: jobPriority,
  caller: z.string().describe('Who submitted it: the router API key name, or anonymous'),
  created_at: z.string(),
  started_at: z.string().optional(),
  completed_at: z.string().optional(),
  expires_at: z.string().optional().describe('When the job and its results are deleted'),
  cancel_requested: z.boolean().optional(),
  progress: z.object({
    total: z.number().int(),
    completed: z.number().int(),
    succeeded: z.number().int(),
    failed: z.number().int(),
    cancelled: z.number().int(),
    percent: z.number(),
  }),
  results: z.array(itemResult),
  page: z.object({
    offset: z.number().int(),
    limit: z.number().int(),
    total: z.number().int(),
    next_offset: z.number().int().optional(),
  }),
});
export type JobView = z.infer<typeof jobView>;

export const batchAccepted = z.object({
  job_id: z.string(),
  status: jobState,
  priority: jobPriority,
  status_url: z.string(),
  total: z.number().int(),
  created: z.boolean().describe('false when an earlier request with the same idempotency key made the job'),
});

export const jobPageQuery = z.strictObject({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
