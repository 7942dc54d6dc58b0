/**
 * How each /api/inference/analyze task maps onto a backend operation and a response result. Pure mapping;
 * the service does the routing.
 * @module
 */
import type { Capability } from '../../../crds/src/index.js';
import type { CallContext, InferenceBackend, RouteTarget } from '../backends/backend.js';
import type { AnalyzeRequest, AnalyzeResponse } from '../schemas/inference.js';

export interface OperationOutput<T> {
  readonly fields: T;
  readonly inputTokens: number;
  readonly outputTokens: number;
}

type AnalyzeFields = Pick<AnalyzeResponse, 'task' | 'results'>;

export interface AnalyzeCall {
  readonly capability: Capability;
  readonly call: (
    backend: InferenceBackend,
    target: RouteTarget,
    ctx: CallContext,
  ) => Promise<OperationOutput<AnalyzeFields>>;
}

export function analyzeCall(req: AnalyzeRequest): AnalyzeCall {
  const texts = typeof req.input === 'string' ? [req.input] : req.input;
  const params = req.parameters ?? {};
  switch (req.task) {
    case 'classify':
      return {
        capability: 'text-classification',
        call: async (backend, target, ctx) => {
          const out = await backend.classify(target, texts, params.top_k, ctx);
          const results = out.results.map((r) => ({
            label: r.label,
            score: r.score,
            scores: { ...r.scores },
          }));
          return { fields: { task: 'classify', results }, inputTokens: out.inputTokens, outputTokens: 0 };
        },
      };
    case 'embed':
      return {
        capability: 'embedding',
        call: async (backend, target, ctx) => {
          const out = await backend.embed(target, texts, params.normalize ?? true, ctx);
          const results = out.embeddings.map((e) => ({ embedding: [...e], dimensions: e.length }));
          return { fields: { task: 'embed', results }, inputTokens: out.inputTokens, outputTokens: 0 };
        },
      };
    case 'tokens':
      return {
        // Any model we run has a tokenizer; the capability only filters fallbacks, which tokens never use.
        capability: 'text-generation',
        call: async (backend, target, ctx) => {
          const results = [];
          for (const text of texts) {
            const out = await backend.tokenize(target, text, ctx);
            results.push({ tokens: [...out.tokens], token_ids: [...out.ids], count: out.ids.length });
          }
          // Tokenizing is not inference: it is neither metered nor priced.
          return { fields: { task: 'tokens', results }, inputTokens: 0, outputTokens: 0 };
        },
      };
  }
}
