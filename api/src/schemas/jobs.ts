/**
 * Batch job schemas: a batch is a list of text/analyze requests, answered later in the same order.
 * @module
 */
import { z } from 'zod';
import { analyzeRequest, textRequest } from './inference.js';

const customId = z.string().min(1).max(128).optional().describe('Your id for the item, echoed in its result');

export const batchItem = z.discriminatedUnion('type', [
  textRequest.extend({ type: z.literal('text'), custom_id: customId }),
  analyzeRequest.extend({ type: z.literal('analyze'), custom_id: customId }),
]);
export type BatchItem = z.infer<typeof batchItem>;

export const batchRequest = z.strictObject({
  requests: z.array(batchItem).min(1, 'requests must hold at least one item'),
});
export type BatchRequest = z.infer<typeof batchRequest>;

export const jobState = z.enum(['queued', 'running', 'completed', 'failed', 'cancelled']);
export type JobState = z.infer<typeof jobState>;

export const itemResult = z.object({
  index: z.number().int(),
  custom_id: z.string().optional(),
  status: z.enum(['pending', 'succeeded', 'failed', 'cancelled']),
  response: z.record(z.string(), z.unknown()).optional(),
  error: z.object({ code: z.string(), message: z.string(), details: z.unknown().optional() }).optional(),
});
export type ItemResult = z.infer<typeof itemResult>;

export const jobView = z.object({
  job_id: z.string(),
  status: jobState,
  created_at: z.string(),
  started_at: z.string().optional(),
  completed_at: z.string().optional(),
  expires_at: z.string().optional().describe('When the results are deleted'),
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
  status_url: z.string(),
  total: z.number().int(),
});

export const jobPageQuery = z.strictObject({
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
