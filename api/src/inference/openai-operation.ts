/**
 * A request of the OpenAI-compatible API as one operation the inference service routes, caches and
 * meters: passed through to OpenAI-compatible targets (the body as sent, but for `model`), translated
 * for runtime targets (every parameter honoured or refused: ./openai-runtime.ts) and rendered in OpenAI's
 * shape. Its cache key is the whole body, so requests differing in anything (tools, say) never share an
 * answer.
 * @module
 */
import {
  BackendError,
  type CallContext,
  type InferenceBackend,
  type OpenAIPath,
  type RouteTarget,
  type StreamEvent,
} from '../backends/backend.js';
import type { CatalogModel } from '../catalog/catalog.js';
import {
  openAIAsksLogprobs,
  openAIRequestTexts,
  openAITokenInput,
  rewriteAnswerBody,
} from '../guardrails/openai-bodies.js';
import { chatCompletion, embeddingList, openAIChunks, textCompletion } from './openai-format.js';
import {
  type OpenAIEndpoint,
  type RuntimeEmbedding,
  type RuntimeGeneration,
  runtimeChat,
  runtimeCompletion,
  runtimeEmbeddings,
  runtimeResponses,
} from './openai-runtime.js';
import type { StreamingOperation } from './operations.js';

/** An answer in OpenAI's shape, as it goes to the client. */
export interface OpenAIAnswer {
  readonly body: string;
  readonly contentType: string;
  readonly inputTokens: number;
  readonly outputTokens: number;
  /** Set when a runtime sampled it (see GenerateOutput.sampled). */
  readonly sampled?: boolean;
}

const PATHS: Readonly<Record<OpenAIEndpoint, OpenAIPath>> = {
  chat: '/chat/completions',
  completions: '/completions',
  embeddings: '/embeddings',
  responses: '/responses',
};

const JSON_TYPE = 'application/json';

type Body = Readonly<Record<string, unknown>>;

/** What a runtime is asked for an OpenAI request, once its parameters are honoured or refused. */
type RuntimeRequest =
  | { readonly kind: 'generation'; readonly g: RuntimeGeneration }
  | { readonly kind: 'embedding'; readonly e: RuntimeEmbedding };

function translate(endpoint: OpenAIEndpoint, body: Body): RuntimeRequest {
  switch (endpoint) {
    case 'chat':
      return { kind: 'generation', g: runtimeChat(body) };
    case 'completions':
      return { kind: 'generation', g: runtimeCompletion(body) };
    case 'embeddings':
      return { kind: 'embedding', e: runtimeEmbeddings(body) };
    default:
      return runtimeResponses();
  }
}

async function runtimeAnswer(
  endpoint: OpenAIEndpoint,
  request: RuntimeRequest,
  backend: InferenceBackend,
  target: RouteTarget,
  ctx: CallContext,
): Promise<OpenAIAnswer> {
  const who = { requestId: ctx.requestId, model: target.model.name };
  if (request.kind === 'embedding') {
    const options = { normalize: true, truncate: request.e.truncate };
    const out = await backend.embed(target, request.e.texts, options, ctx);
    const rendered = embeddingList(who, out.embeddings, out.inputTokens, request.e.base64);
    return {
      body: JSON.stringify(rendered),
      contentType: JSON_TYPE,
      inputTokens: out.inputTokens,
      outputTokens: 0,
    };
  }
  const r = await backend.generate(target, request.g.input, request.g.params, ctx);
  const rendered = endpoint === 'chat' ? chatCompletion(who, r) : textCompletion(who, r, request.g.echo);
  return {
    body: JSON.stringify(rendered),
    contentType: JSON_TYPE,
    inputTokens: r.inputTokens,
    outputTokens: r.outputTokens,
    ...(r.sampled ? { sampled: true } : {}),
  };
}

/** Where a runtime's stream goes: the endpoint and body it answers, on which target. */
interface StreamCall {
  readonly endpoint: OpenAIEndpoint;
  readonly body: Body;
  readonly backend: InferenceBackend;
  readonly target: RouteTarget;
}

function runtimeStream(
  { endpoint, body, backend, target }: StreamCall,
  request: RuntimeRequest,
  ctx: CallContext,
): AsyncIterable<StreamEvent> {
  if (request.kind !== 'generation') throw new Error('embeddings are not streamed');
  const includeUsage =
    (body.stream_options as { include_usage?: unknown } | null | undefined)?.include_usage === true;
  const { input, params, echo } = request.g;
  return openAIChunks(
    { requestId: ctx.requestId, model: target.model.name },
    {
      kind: endpoint === 'chat' ? 'chat' : 'completion',
      includeUsage,
      choices: params.n ?? 1,
      ...(echo === undefined ? {} : { echo }),
    },
    backend.stream(target, input, params, ctx),
  );
}

export function openAIOperation(endpoint: OpenAIEndpoint, body: Body): StreamingOperation<OpenAIAnswer> {
  const { model: _model, ...fields } = body;
  const path = PATHS[endpoint];
  const embeddings = endpoint === 'embeddings';
  // Translated once, when the first runtime target is considered; a refusal is the same for every runtime.
  let translated: RuntimeRequest | BackendError | undefined;
  const forRuntime = (): RuntimeRequest => {
    if (translated === undefined) {
      try {
        translated = translate(endpoint, body);
      } catch (err) {
        if (!(err instanceof BackendError)) throw err;
        translated = err;
      }
    }
    if (translated instanceof BackendError) throw translated;
    return translated;
  };
  return {
    name: embeddings ? 'embed' : 'generate',
    need: embeddings ? 'embedding' : 'text-generation',
    accepts: (model: CatalogModel) =>
      embeddings
        ? model.spec.capabilities.includes('embedding')
        : model.spec.capabilities.some((c) => c === 'text-generation' || c === 'chat'),
    fallbacks: true,
    fields: { endpoint, body: fields },
    // Embeddings and greedy decoding are deterministic; runtimes decode greedily unless asked to sample.
    deterministic: (model) =>
      embeddings ||
      body.temperature === 0 ||
      (body.temperature === undefined && body.top_p === undefined && model.spec.provider === 'onnx'),
    refusal: (backend) => {
      if (backend.forward) return undefined;
      try {
        forRuntime();
        return undefined;
      } catch (err) {
        return err as BackendError;
      }
    },
    call: async (backend, target, ctx) => {
      if (!backend.forward) return runtimeAnswer(endpoint, forRuntime(), backend, target, ctx);
      const answer = await backend.forward(target, { path, body }, ctx);
      return {
        body: answer.body.toString('utf8'),
        contentType: answer.contentType,
        inputTokens: answer.inputTokens,
        outputTokens: answer.outputTokens,
      };
    },
    stream: (backend, target, ctx) =>
      backend.forwardStream
        ? backend.forwardStream(target, { path, body }, ctx)
        : runtimeStream({ endpoint, body, backend, target }, forRuntime(), ctx),
    tokens: (r) => ({ input: r.inputTokens, output: r.outputTokens }),
    sampled: (r) => r.sampled === true,
    inputs: () => openAIRequestTexts(body),
    unreadableInput: () => openAITokenInput(body),
    asksLogprobs: () => openAIAsksLogprobs(body),
    rewrite: (r, fix) => {
      if (embeddings) return r;
      const body = rewriteAnswerBody(r.body, fix);
      return body === r.body ? r : { ...r, body };
    },
  };
}
