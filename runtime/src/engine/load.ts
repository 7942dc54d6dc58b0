/**
 * Builds a {@link LoadedModel} from a verified model directory in the Hugging Face layout
 * (`config.json`, `tokenizer.json`, `tokenizer_config.json`, an ONNX graph chosen by `configuration.dtype`
 * (see `onnx-files.ts`), optional `generation_config.json`).
 * @module
 */
import { join } from 'node:path';
import type * as ort from 'onnxruntime-node';
import type { BatchingConfig, EngineConfig, ModelConfiguration } from '../config.js';
import { ModelLoadFailedError } from '../errors.js';
import { modelGraph } from '../model-store/artifact.js';
import { type BatchHooks, RowBatcher } from './batcher.js';
import { DecodeScheduler } from './decode-scheduler.js';
import { type EmbeddingSource, Encoder, scoreFunctionOf } from './encoder.js';
import { createDecoder, type Decoder } from './generator.js';
import { checkEncoder, decoderLayout } from './layout.js';
import { LoadedModel, type TaskEngine } from './model.js';
import {
  contextWindow,
  decoderDims,
  eosTokenIds,
  inferTask,
  labelsOf,
  type ModelFiles,
  positionsFollowMask,
  readModelFiles,
} from './model-files.js';
import {
  DEFAULT_SENTENCE_SETTINGS,
  encoderWindow,
  readSentenceSettings,
  type SentenceSettings,
} from './sentence-transformers.js';
import { describeSession, openSession, type SessionIO } from './session.js';
import { loadTokenizer, type TextTokenizer } from './tokenizer.js';

/** A token row's length: rows of similar lengths are batched together, to pad less. */
const tokenCount = (row: readonly number[]) => row.length;

const concrete = (dim: number | string | undefined) => (typeof dim === 'number' && dim > 0 ? dim : undefined);

/** How a model is served: where its session runs, how requests are batched, and who hears about it. */
export interface LoadOptions {
  readonly engine: EngineConfig;
  readonly batching: BatchingConfig;
  readonly hooks?: BatchHooks;
  /** Hears, once at load, what an operator should know about how the model is served (e.g. slowly). */
  readonly warn?: (fields: Record<string, unknown>, message: string) => void;
}

/**
 * Where generation ends: the model's end-of-sequence ids (generation_config.json, else config.json, else the
 * tokenizer's) and the token its chat template ends an assistant turn with (e.g. Llama 3's <|eot_id|>, which
 * config.json's eos_token_id often lacks).
 */
function stopTokenIds(files: ModelFiles, tokenizer: TextTokenizer): Set<number> {
  const endOfTurn = tokenizer.endOfTurnId();
  return new Set([...eosTokenIds(files, tokenizer.eosId), ...(endOfTurn === undefined ? [] : [endOfTurn])]);
}

/**
 * The decoder for the graph's layout (read from its inputs and config.json). A graph without a KV cache is
 * served by recomputing, which an operator hears about once, here.
 */
function openDecoder(
  session: ort.InferenceSession,
  io: SessionIO,
  files: ModelFiles,
  padId: number,
  options: LoadOptions,
): Decoder {
  const layout = decoderLayout(io, decoderDims(files.config));
  if (layout.kind === 'recompute') {
    options.warn?.(
      { decoder: 'recompute', inputs: io.inputs.map((t) => t.name) },
      'The ONNX graph has no KV cache (no past_key_values inputs): every generated token recomputes the whole sequence, so generation slows as it grows; export the model with a cache (e.g. Optimum text-generation-with-past) to serve it at full speed',
    );
  }
  return createDecoder(session, layout, padId, layout.usesPositionIds || positionsFollowMask(files.config));
}

/** A model directory's files, with its sentence-transformers settings for encoders. */
type EncoderFiles = ModelFiles & { readonly sentence?: SentenceSettings };

interface EncoderParts {
  readonly session: ort.InferenceSession;
  readonly io: SessionIO;
  readonly files: EncoderFiles;
  readonly padId: number;
  readonly options: LoadOptions;
  readonly hooks: BatchHooks;
}

/**
 * A classify engine: logits to scores as transformers' pipeline makes them (see `scoreFunctionOf`): softmax,
 * a sigmoid per label for multi-label models and single-logit ones (rerankers), raw values for regression.
 */
function classifyEngine({ session, io, files, padId, options, hooks }: EncoderParts): TaskEngine {
  const output = checkEncoder(io, 'classify');
  const count = concrete(output.info.shape[1]) ?? Object.keys(files.config.id2label ?? {}).length;
  if (count === 0)
    throw new ModelLoadFailedError('cannot tell the number of classes: no id2label in config.json');
  const scores = scoreFunctionOf(files.config.problem_type, count);
  const encoder = new Encoder(session, padId);
  const batcher = new RowBatcher(
    (rows: (readonly number[])[]) => encoder.classify(rows, scores),
    options.batching,
    hooks,
    tokenCount,
  );
  const window = encoderWindow(files.config, files.sentence?.maxSeqLength);
  return { task: 'classify', batcher, labels: labelsOf(files.config, count), window };
}

/** An embed engine: the graph's sentence_embedding, else its token states pooled as the model's files say. */
function embedEngine({ session, io, files, padId, options, hooks }: EncoderParts): TaskEngine {
  const sentence = files.sentence ?? DEFAULT_SENTENCE_SETTINGS;
  const output = checkEncoder(io, 'embed');
  if (!output.pooled && sentence.unapplied.length > 0) {
    throw new ModelLoadFailedError(
      `modules.json has module(s) ${sentence.unapplied.join(', ')} after pooling, which only a graph output sentence_embedding can apply; the graph has ${output.name}`,
    );
  }
  // DistilBERT's config names the width `dim`.
  const hidden =
    files.config.hidden_size ?? (typeof files.config.dim === 'number' ? files.config.dim : undefined);
  const dim = output.pooled
    ? (concrete(output.info.shape[1]) ?? hidden)
    : (concrete(output.info.shape[2]) ?? hidden ?? 0) * sentence.pooling.length;
  if (!dim) throw new ModelLoadFailedError('cannot tell the embedding size: no hidden_size in config.json');
  const source: EmbeddingSource = output.pooled
    ? { output: output.name, pooled: true }
    : { output: output.name, pooled: false, pooling: sentence.pooling };
  const encoder = new Encoder(session, padId);
  // Pooled vectors come back raw: whether to normalise is each request's own choice (else the model's default).
  const batcher = new RowBatcher(
    (rows: (readonly number[])[]) => encoder.embed(rows, source),
    options.batching,
    hooks,
    tokenCount,
  );
  const window = encoderWindow(files.config, sentence.maxSeqLength);
  return { task: 'embed', batcher, dim, window, normalize: sentence.normalize };
}

function encoderEngine(task: 'classify' | 'embed', parts: EncoderParts): TaskEngine {
  return task === 'classify' ? classifyEngine(parts) : embedEngine(parts);
}

function buildEngine(
  task: TaskEngine['task'],
  session: ort.InferenceSession,
  files: EncoderFiles,
  tokenizer: TextTokenizer,
  options: LoadOptions,
): TaskEngine {
  const io = describeSession(session);
  const padId = tokenizer.padId ?? files.config.pad_token_id ?? 0;
  const hooks = options.hooks ?? {};
  switch (task) {
    case 'generate': {
      const decoder = openDecoder(session, io, files, padId, options);
      const eos = stopTokenIds(files, tokenizer);
      const scheduler = new DecodeScheduler(decoder, tokenizer, eos, options.batching, hooks);
      return { task, scheduler, generationConfig: files.generationConfig };
    }
    case 'classify':
    case 'embed':
      return encoderEngine(task, { session, io, files, padId, options, hooks });
  }
}

/**
 * Loads the model in `modelDir` for the configured task (else the one its architecture implies).
 * @throws {ModelLoadFailedError} when a file is unreadable or the graph does not fit the task.
 */
export async function loadModel(
  modelDir: string,
  configuration: ModelConfiguration,
  options: LoadOptions,
): Promise<LoadedModel> {
  const files = await readModelFiles(modelDir);
  const task = configuration.task ?? inferTask(files.config);
  let tokenizer: TextTokenizer;
  try {
    tokenizer = await loadTokenizer(modelDir);
  } catch (error) {
    throw new ModelLoadFailedError(`cannot load the tokenizer: ${(error as Error).message}`, {
      cause: error,
    });
  }
  // sentence-transformers files (pooling, normalisation, max_seq_length) of encoders.
  const sentence = task === 'generate' ? DEFAULT_SENTENCE_SETTINGS : await readSentenceSettings(modelDir);
  // The dtype picks the file (transformers.js's names); onnxruntime reads its external data beside it.
  const graph = await modelGraph(modelDir, configuration.dtype);
  const opened = await openSession(join(modelDir, graph.graph), options.engine);
  const { session } = opened;
  try {
    const engine = buildEngine(task, session, { ...files, sentence }, tokenizer, options);
    return new LoadedModel({
      session,
      execution: {
        provider: opened.provider,
        requested: opened.requested,
        ...(opened.fallback ? { fallback: opened.fallback } : {}),
      },
      tokenizer,
      engine,
      contextWindow: contextWindow(files.config),
      defaultMaxTokens: configuration.defaultMaxTokens,
    });
  } catch (error) {
    await session.release();
    throw error;
  }
}
