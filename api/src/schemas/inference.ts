/**
 * Request and response schemas of the inference endpoints. They validate requests and generate
 * /openapi.json, so the document cannot drift from what the router accepts.
 * @module
 */
import { z } from 'zod';

export const MAX_INPUT_CHARS = 100_000;
export const MAX_ANALYZE_INPUTS = 64;

const modelId = z
  .string()
  .min(1, 'model_id must not be empty')
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'model_id must be an AIModel name (lowercase letters, digits, -)')
  .describe('AIModel name');

const version = z
  .string()
  .min(1)
  .max(32)
  .describe('ModelVersion spec.version; the default version when absent');

const text = z
  .string()
  .max(MAX_INPUT_CHARS, `input must be at most ${MAX_INPUT_CHARS} characters`)
  .refine((s) => s.trim().length > 0, 'input must not be empty');

const useFallbacks = z
  .boolean()
  .default(true)
  .describe("Try the model's fallback chain when the chosen version is unavailable or fails");

export const generationParameters = z
  .looseObject({
    max_tokens: z.number().int().min(1).max(8192).optional(),
    temperature: z.number().min(0).max(2).optional().describe('0 is greedy'),
    top_p: z.number().gt(0).max(1).optional(),
    top_k: z.number().int().min(1).max(1000).optional(),
    seed: z
      .number()
      .int()
      .min(0)
      .max(2 ** 31 - 1)
      .optional()
      .describe('Same seed, same sampled output'),
    stop: z
      .union([z.string().min(1).max(64), z.array(z.string().min(1).max(64)).min(1).max(4)])
      .optional()
      .describe('Generation stops before any of these strings'),
  })
  .describe(
    'Generation parameters. Others (e.g. presence_penalty, response_format) are passed as they are to OpenAI-compatible providers and refused with 400 by runtime models',
  );

export const textRequest = z.strictObject({
  model_id: modelId,
  version: version.optional(),
  input: text.describe('The prompt'),
  parameters: generationParameters.optional(),
  use_fallbacks: useFallbacks,
  stream: z
    .boolean()
    .default(false)
    .describe(
      'Answer as server-sent events: {"output": "<new text>"} as it comes, then the usage, then [DONE]',
    ),
  async: z
    .boolean()
    .default(false)
    .describe('Answer 202 at once with a one-item job to poll (GET /api/inference/jobs/{job_id})'),
});
export type TextRequest = z.infer<typeof textRequest>;

export const analyzeTask = z.enum(['classify', 'embed', 'tokens']);
export type AnalyzeTask = z.infer<typeof analyzeTask>;

export const analyzeRequest = z.strictObject({
  model_id: modelId,
  version: version.optional(),
  task: analyzeTask.describe('classify: labels and scores; embed: vectors; tokens: the tokenizer output'),
  input: z
    .union([text, z.array(text).min(1).max(MAX_ANALYZE_INPUTS)])
    .describe(`One text, or up to ${MAX_ANALYZE_INPUTS} texts answered in order`),
  parameters: z
    .strictObject({
      top_k: z
        .number()
        .int()
        .min(1)
        .max(100)
        .optional()
        .describe('classify: how many labels to return scores for'),
      normalize: z
        .boolean()
        .optional()
        .describe(
          "embed: L2-normalise vectors (default: as the model's sentence-transformers files say, else true)",
        ),
      truncate: z
        .boolean()
        .optional()
        .describe(
          "classify, embed: texts longer than the model's window are truncated (true, the default for runtime models) or refused with 400 (false)",
        ),
    })
    .optional(),
  use_fallbacks: useFallbacks,
});
export type AnalyzeRequest = z.infer<typeof analyzeRequest>;

export const usage = z.object({
  input_tokens: z.number().int(),
  output_tokens: z.number().int(),
  total_tokens: z.number().int(),
});

export const attempt = z.object({
  model: z.string(),
  version: z.string().optional(),
  outcome: z.enum(['succeeded', 'failed', 'skipped']),
  reason: z.string().optional(),
  kind: z.string().optional(),
  duration_ms: z.number().optional(),
});

const served = {
  id: z.string().describe('Request id (also the x-request-id header)'),
  model_id: z.string().describe('The model that served the request'),
  version: z.string().optional().describe('The version that served the request'),
  requested_model_id: z.string(),
  fallback_used: z.boolean(),
  attempts: z.array(attempt),
  usage,
  cost: z.object({ amount: z.number(), currency: z.string() }).optional(),
  latency_ms: z.number(),
  cache: z
    .enum(['HIT', 'MISS', 'BYPASS', 'SKIP', 'ERROR'])
    .describe('What the response cache did (also x-cache)'),
};

export const textResponse = z.object({
  ...served,
  output: z.string(),
  finish_reason: z.string().describe('stop: a stop string or the end of text; length: max_tokens reached'),
});
export type TextResponse = z.infer<typeof textResponse>;

export const analyzeResponse = z.object({
  ...served,
  task: analyzeTask,
  results: z.array(
    z.union([
      z.object({ label: z.string(), score: z.number(), scores: z.record(z.string(), z.number()) }),
      z.object({ embedding: z.array(z.number()), dimensions: z.number().int() }),
      z.object({
        tokens: z.array(z.string()),
        token_ids: z.array(z.number().int()),
        count: z.number().int(),
      }),
    ]),
  ),
});
export type AnalyzeResponse = z.infer<typeof analyzeResponse>;
