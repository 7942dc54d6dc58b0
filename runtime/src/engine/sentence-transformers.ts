/**
 * What a sentence-transformers model directory says about turning token states into a sentence vector:
 * `modules.json` (the pipeline: Transformer, Pooling, Normalize, ...), the Pooling module's `config.json`
 * (`1_Pooling/config.json`: which modes) and `sentence_bert_config.json` (`max_seq_length`).
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ModelLoadFailedError } from '../errors.js';
import { POOLING_ORDER, type PoolingMode } from './pooling.js';

const modulesSchema = z.array(z.looseObject({ path: z.string().nullish(), type: z.string() }));

const POOLING_KEYS: Record<PoolingMode, string> = {
  cls: 'pooling_mode_cls_token',
  max: 'pooling_mode_max_tokens',
  mean: 'pooling_mode_mean_tokens',
  lasttoken: 'pooling_mode_lasttoken',
};
/** Modes sentence-transformers has that the runtime does not compute. */
const UNSUPPORTED_POOLING = ['pooling_mode_mean_sqrt_len_tokens', 'pooling_mode_weightedmean_tokens'];

const poolingSchema = z.looseObject(
  Object.fromEntries(
    [...Object.values(POOLING_KEYS), ...UNSUPPORTED_POOLING].map((k) => [k, z.boolean().nullish()]),
  ),
);
const sentenceBertSchema = z.looseObject({ max_seq_length: z.number().int().positive().nullish() });

/** How a model's embeddings are pooled, normalised and truncated, by default. */
export interface SentenceSettings {
  /** Pooling modes, concatenated in this order (default: mean). */
  readonly pooling: readonly PoolingMode[];
  /** Whether embeddings are L2-normalised when a request does not say (a Normalize module; true without modules.json). */
  readonly normalize: boolean;
  /** sentence_bert_config.json's max_seq_length: texts are truncated to it. */
  readonly maxSeqLength: number | undefined;
  /** Modules after Pooling the runtime cannot apply itself (e.g. Dense): only a graph's sentence_embedding has them. */
  readonly unapplied: readonly string[];
  /** Whether the directory is a sentence-transformers model (has modules.json). */
  readonly fromModules: boolean;
}

export const DEFAULT_SENTENCE_SETTINGS: SentenceSettings = {
  pooling: ['mean'],
  normalize: true,
  maxSeqLength: undefined,
  unapplied: [],
  fromModules: false,
};

async function readOptionalJson<T>(
  modelDir: string,
  path: string,
  schema: z.ZodType<T>,
): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(join(modelDir, path), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ModelLoadFailedError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: ReturnType<typeof schema.safeParse>;
  try {
    parsed = schema.safeParse(JSON.parse(text));
  } catch (error) {
    throw new ModelLoadFailedError(`${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ModelLoadFailedError(`${path} has unexpected fields: ${issues}`);
  }
  return parsed.data;
}

/** The pooling modes a Pooling config turns on, in sentence-transformers' order. */
export function poolingModes(config: Record<string, unknown>, path: string): PoolingMode[] {
  const unsupported = UNSUPPORTED_POOLING.filter((k) => config[k] === true);
  if (unsupported.length > 0) {
    throw new ModelLoadFailedError(
      `${path} turns on ${unsupported.join(', ')}; the runtime pools with ${Object.values(POOLING_KEYS).join(', ')}`,
    );
  }
  const modes = POOLING_ORDER.filter((mode) => config[POOLING_KEYS[mode]] === true);
  if (modes.length === 0) throw new ModelLoadFailedError(`${path} turns on no pooling mode`);
  return modes;
}

/** Reads the sentence-transformers files of a model directory; defaults where there are none. */
export async function readSentenceSettings(modelDir: string): Promise<SentenceSettings> {
  const sentenceBert = await readOptionalJson(modelDir, 'sentence_bert_config.json', sentenceBertSchema);
  const maxSeqLength = sentenceBert?.max_seq_length ?? undefined;
  const modules = await readOptionalJson(modelDir, 'modules.json', modulesSchema);
  if (!modules) return { ...DEFAULT_SENTENCE_SETTINGS, maxSeqLength };
  const kind = (type: string) => type.split('.').pop() ?? type;
  let pooling: PoolingMode[] = ['mean'];
  const poolingModule = modules.find((m) => kind(m.type) === 'Pooling');
  if (poolingModule) {
    const path = `${poolingModule.path || '1_Pooling'}/config.json`;
    const config = await readOptionalJson(modelDir, path, poolingSchema);
    if (!config) throw new ModelLoadFailedError(`modules.json lists a Pooling module but ${path} is missing`);
    pooling = poolingModes(config, path);
  }
  const applied = new Set(['Transformer', 'Pooling', 'Normalize']);
  return {
    pooling,
    normalize: modules.some((m) => kind(m.type) === 'Normalize'),
    maxSeqLength,
    unapplied: modules.map((m) => kind(m.type)).filter((k) => !applied.has(k)),
    fromModules: true,
  };
}

/** Model families whose position ids start after the padding id (RoBERTa's `padding_idx + 1` offset). */
const OFFSET_POSITIONS = new Set([
  'roberta',
  'xlm-roberta',
  'camembert',
  'mpnet',
  'longformer',
  'data2vec-text',
]);

/**
 * The longest token row (specials included) an encoder takes: sentence_bert_config.json's max_seq_length,
 * else the positions config.json gives it (`max_position_embeddings`, less RoBERTa's `pad_token_id + 1` offset:
 * 514 -> 512). Undefined when neither says.
 */
export function encoderWindow(
  config: {
    model_type?: string | null;
    max_position_embeddings?: number | null;
    pad_token_id?: number | null;
  },
  maxSeqLength: number | undefined,
): number | undefined {
  const positions = config.max_position_embeddings ?? undefined;
  const offset = OFFSET_POSITIONS.has(config.model_type ?? '') ? (config.pad_token_id ?? 1) + 1 : 0;
  const window = positions === undefined ? undefined : positions - offset;
  if (maxSeqLength === undefined) return window;
  return window === undefined ? maxSeqLength : Math.min(maxSeqLength, window);
}
