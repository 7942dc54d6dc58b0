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
import { Encoder } from './encoder.js';
import { Decoder } from './generator.js';
import { checkEncoder, decoderLayout } from './layout.js';
import { LoadedModel, type TaskEngine } from './model.js';
import {
  contextWindow,
  decoderDims,
  eosTokenIds,
  inferTask,
  labelsOf,
  type ModelFiles,
  readModelFiles,
} from './model-files.js';
import { describeSession, openSession } from './session.js';
import { loadTokenizer, type TextTokenizer } from './tokenizer.js';

const concrete = (dim: number | string | undefined) => (typeof dim === 'number' && dim > 0 ? dim : undefined);

/** How a model is served: where its session runs, how requests are batched, and who hears about it. */
export interface LoadOptions {
  readonly engine: EngineConfig;
  readonly batching: BatchingConfig;
  readonly hooks?: BatchHooks;
}

function buildEngine(
  task: TaskEngine['task'],
  session: ort.InferenceSession,
  files: ModelFiles,
  tokenizer: TextTokenizer,
  options: LoadOptions,
): TaskEngine {
  const io = describeSession(session);
  const padId = tokenizer.padId ?? files.config.pad_token_id ?? 0;
  const hooks = options.hooks ?? {};
  switch (task) {
    case 'generate': {
      const layout = decoderLayout(io, decoderDims(files.config));
      const eos = new Set(eosTokenIds(files, tokenizer.eosId));
      const scheduler = new DecodeScheduler(
        new Decoder(session, layout, padId),
        tokenizer,
        eos,
        options.batching,
        hooks,
      );
      return { task, scheduler, generationConfig: files.generationConfig };
    }
    case 'classify': {
      checkEncoder(io, task);
      const logits = io.outputs.find((t) => t.name === 'logits');
      const count = concrete(logits?.shape[1]) ?? Object.keys(files.config.id2label ?? {}).length;
      if (count === 0)
        throw new ModelLoadFailedError('cannot tell the number of classes: no id2label in config.json');
      const encoder = new Encoder(session, padId);
      const batcher = new RowBatcher(
        (rows: (readonly number[])[]) => encoder.classify(rows),
        options.batching,
        hooks,
      );
      return { task, batcher, labels: labelsOf(files.config, count) };
    }
    case 'embed': {
      checkEncoder(io, task);
      const hidden = io.outputs.find((t) => t.name === 'last_hidden_state');
      const dim = concrete(hidden?.shape[2]) ?? files.config.hidden_size ?? undefined;
      if (!dim)
        throw new ModelLoadFailedError('cannot tell the embedding size: no hidden_size in config.json');
      const encoder = new Encoder(session, padId);
      // Pooled vectors come back raw: whether to normalise is each request's own choice.
      const batcher = new RowBatcher(
        (rows: (readonly number[])[]) => encoder.embed(rows, false),
        options.batching,
        hooks,
      );
      return { task, batcher, dim };
    }
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
  // The dtype picks the file (transformers.js's names); onnxruntime reads its external data beside it.
  const graph = await modelGraph(modelDir, configuration.dtype);
  const opened = await openSession(join(modelDir, graph.graph), options.engine);
  const { session } = opened;
  try {
    const engine = buildEngine(task, session, files, tokenizer, options);
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
