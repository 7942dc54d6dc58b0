/**
 * The seed REST API's view of inference: request bodies in, operations out; served results in, response
 * bodies, headers and event streams out.
 * @module
 */
import type { GenerateParams, StreamEvent } from '../backends/backend.js';
import type { RouteResult } from '../http/route.js';
import type { AnalyzeRequest, TextRequest } from '../schemas/inference.js';
import type { RoutingRequest } from './inference-service.js';
import {
  type ClassifyResult,
  classification,
  type EmbedResult,
  embedding,
  type GenerationOperation,
  type GenerationResult,
  generation,
  type Operation,
  type TokensResult,
  tokenization,
} from './operations.js';
import type { Served, StreamServed } from './served.js';

const KNOWN_PARAMETERS = new Set(['max_tokens', 'temperature', 'top_p', 'top_k', 'seed', 'stop']);

/** The parameters the router reads, and the others (the design's `other_parameters`) as `extra`. */
export function generateParams(p: TextRequest['parameters']): GenerateParams {
  const stop = p?.stop === undefined ? undefined : typeof p.stop === 'string' ? [p.stop] : p.stop;
  const extra = p ? Object.entries(p).filter(([name]) => !KNOWN_PARAMETERS.has(name)) : [];
  return {
    maxTokens: p?.max_tokens,
    temperature: p?.temperature,
    topP: p?.top_p,
    topK: p?.top_k,
    seed: p?.seed,
    stop,
    ...(extra.length > 0 ? { extra: Object.fromEntries(extra) } : {}),
  };
}

export function textOperation(req: TextRequest): GenerationOperation {
  return generation(
    { kind: 'chat', messages: [{ role: 'user', content: req.input }] },
    generateParams(req.parameters),
  );
}

export function routing(req: { model_id: string; version?: string; use_fallbacks: boolean }): RoutingRequest {
  return { modelId: req.model_id, version: req.version, useFallbacks: req.use_fallbacks };
}

type AnalyzeResult = ClassifyResult | EmbedResult | TokensResult;

export function analyzeOperation(req: AnalyzeRequest): Operation<AnalyzeResult> {
  const texts = typeof req.input === 'string' ? [req.input] : req.input;
  const params = req.parameters ?? {};
  const truncate = params.truncate;
  if (req.task === 'classify') return classification(texts, { topK: params.top_k, truncate });
  if (req.task === 'embed') return embedding(texts, { normalize: params.normalize, truncate });
  return tokenization(texts);
}

/** Who served, for every inference response body. */
export function servedFields(s: Omit<Served<unknown>, 'value'>) {
  return {
    id: s.requestId,
    model_id: s.modelId,
    ...(s.version ? { version: s.version } : {}),
    requested_model_id: s.requestedModelId,
    fallback_used: s.fallbackUsed,
    attempts: [...s.attempts],
    usage: {
      input_tokens: s.usage.input,
      output_tokens: s.usage.output,
      total_tokens: s.usage.input + s.usage.output,
    },
    ...(s.cost ? { cost: s.cost } : {}),
    latency_ms: s.latencyMs,
    cache: s.cache,
  };
}

/** Who served and how (the HTTP layer adds `x-router-overhead-ms` when it writes the answer). */
export function servedHeaders(
  s: Pick<Served<unknown>, 'modelId' | 'version' | 'fallbackUsed' | 'attempts' | 'cache'>,
): Record<string, string> {
  return {
    'x-model-id': s.modelId,
    ...(s.version ? { 'x-model-version': s.version } : {}),
    'x-fallback-used': String(s.fallbackUsed),
    'x-router-attempts': String(s.attempts.length),
    'x-cache': s.cache,
  };
}

/** A route's answer for an inference: the body, who served, and the upstream time for the overhead. */
export function servedResult(
  s: Pick<Served<unknown>, 'modelId' | 'version' | 'fallbackUsed' | 'attempts' | 'cache' | 'upstreamMs'>,
  operation: string,
  answer:
    | { body: unknown }
    | { events: AsyncIterable<string> }
    | { raw: { readonly body: string | Buffer; readonly contentType: string } },
): RouteResult {
  return { ...answer, headers: servedHeaders(s), upstreamMs: s.upstreamMs, operation };
}

export function textBody(s: Served<GenerationResult>) {
  return { ...servedFields(s), output: s.value.text, finish_reason: s.value.finishReason };
}

export function analyzeBody(task: AnalyzeRequest['task'], s: Served<AnalyzeResult>) {
  const v = s.value;
  const results =
    'embeddings' in v
      ? v.embeddings.map((e) => ({ embedding: [...e], dimensions: e.length }))
      : 'results' in v && task === 'tokens'
        ? (v as TokensResult).results.map((r) => ({
            tokens: [...r.tokens],
            token_ids: [...r.ids],
            count: r.ids.length,
          }))
        : (v as ClassifyResult).results.map((r) => ({
            label: r.label,
            score: r.score,
            scores: { ...r.scores },
          }));
  return { ...servedFields(s), task, results };
}

const sse = (data: unknown): string => `data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`;

/** /api/inference/text with `stream: true`: {"output": delta}… then one event with usage, then [DONE]. */
export async function* textEvents(s: StreamServed, onError: (err: unknown) => object): AsyncIterable<string> {
  try {
    for await (const event of s.events as AsyncIterable<StreamEvent>) {
      if (event.type === 'text') yield sse({ output: event.text });
      else if (event.type === 'done') {
        const { input, output } = { input: event.inputTokens, output: event.outputTokens };
        yield sse({
          id: s.requestId,
          model_id: s.modelId,
          ...(s.version ? { version: s.version } : {}),
          requested_model_id: s.requestedModelId,
          fallback_used: s.fallbackUsed,
          finish_reason: event.finishReason,
          usage: { input_tokens: input, output_tokens: output, total_tokens: input + output },
          cache: s.cache,
        });
      }
    }
  } catch (err) {
    // Headers are gone: a failure mid-stream can only be told in the stream itself.
    yield sse(onError(err));
  }
  yield sse('[DONE]');
}
