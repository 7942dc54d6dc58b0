/**
 * What the runtime reads from a Hugging Face model directory's `config.json` and `generation_config.json`,
 * and the pure decisions taken from them: the task, the labels, the context window, the decoder's dimensions.
 * @module
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ModelTask } from '../config.js';
import { ModelLoadFailedError } from '../errors.js';
import type { ConfigDims } from './layout.js';

const int = z.number().int();
const tokenIds = z.union([int, z.array(int)]).nullish();

const hfConfigSchema = z.looseObject({
  architectures: z.array(z.string()).nullish(),
  model_type: z.string().nullish(),
  id2label: z.record(z.string(), z.string()).nullish(),
  n_positions: int.nullish(),
  n_ctx: int.nullish(),
  max_position_embeddings: int.nullish(),
  n_layer: int.nullish(),
  num_hidden_layers: int.nullish(),
  n_head: int.nullish(),
  num_attention_heads: int.nullish(),
  n_embd: int.nullish(),
  hidden_size: int.nullish(),
  num_key_value_heads: int.nullish(),
  head_dim: int.nullish(),
  position_embedding_type: z.string().nullish(),
  eos_token_id: tokenIds,
  pad_token_id: int.nullish(),
});

/**
 * The generation_config.json fields the runtime uses as defaults under a request's own parameters. Values
 * no request could ask for (a negative temperature, top_p outside (0, 1], a penalty of 0 or less, a token
 * budget under 1) fail the load, naming the field, rather than failing every request later.
 */
const generationConfigSchema = z.looseObject({
  do_sample: z.boolean().nullish(),
  temperature: z.number().min(0).nullish(),
  top_k: int.min(0).nullish(),
  top_p: z.number().gt(0).max(1).nullish(),
  repetition_penalty: z.number().gt(0).nullish(),
  max_new_tokens: int.min(1).nullish(),
  eos_token_id: tokenIds,
});

export type HfConfig = z.infer<typeof hfConfigSchema>;
export type GenerationConfig = z.infer<typeof generationConfigSchema>;

/** The parsed JSON files of a model directory. */
export interface ModelFiles {
  readonly config: HfConfig;
  /** Absent when the directory has no generation_config.json. */
  readonly generationConfig: GenerationConfig | undefined;
}

async function readJson<T>(path: string, schema: z.ZodType<T>, optional: boolean): Promise<T | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (optional && (error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ModelLoadFailedError(`cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelLoadFailedError(`${path} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ModelLoadFailedError(`${path} has unexpected fields: ${issues}`);
  }
  return parsed.data;
}

/** Reads `config.json` (required) and `generation_config.json` (optional). */
export async function readModelFiles(modelDir: string): Promise<ModelFiles> {
  const config = await readJson(join(modelDir, 'config.json'), hfConfigSchema, false);
  const generationConfig = await readJson(
    join(modelDir, 'generation_config.json'),
    generationConfigSchema,
    true,
  );
  return { config: config as HfConfig, generationConfig };
}

/** The task a model's architecture implies: sequence classifiers classify, LM heads generate, the rest embed. */
export function inferTask(config: HfConfig): ModelTask {
  const architectures = config.architectures ?? [];
  if (architectures.some((a) => a.endsWith('ForSequenceClassification'))) return 'classify';
  if (architectures.some((a) => a.endsWith('LMHeadModel') || a.endsWith('ForCausalLM'))) return 'generate';
  return 'embed';
}

/** Maximum tokens the model attends over, when config.json says. */
export function contextWindow(config: HfConfig): number | undefined {
  return config.n_positions ?? config.n_ctx ?? config.max_position_embeddings ?? undefined;
}

/** Label names in class-index order; indices config.json does not name read `LABEL_<i>`. */
export function labelsOf(config: HfConfig, count: number): string[] {
  return Array.from({ length: count }, (_, i) => config.id2label?.[String(i)] ?? `LABEL_${i}`);
}

/** End-of-sequence ids: generation_config.json first (it overrides config.json, as in transformers). */
export function eosTokenIds(files: ModelFiles, tokenizerEos: number | undefined): number[] {
  const raw = files.generationConfig?.eos_token_id ?? files.config.eos_token_id ?? tokenizerEos;
  if (raw === undefined || raw === null) return [];
  return Array.isArray(raw) ? raw : [raw];
}

/**
 * Decoder layer count, attention heads, key/value heads and head size as config.json states them (GPT-2 or
 * Llama-style names): key/value heads are `num_key_value_heads` (grouped-query attention), else the attention
 * heads; the head size is `head_dim`, else hidden size / attention heads.
 */
export function decoderDims(config: HfConfig): ConfigDims {
  const layers = config.n_layer ?? config.num_hidden_layers ?? undefined;
  const heads = config.n_head ?? config.num_attention_heads ?? undefined;
  const kvHeads = config.num_key_value_heads ?? heads;
  const hidden = config.n_embd ?? config.hidden_size ?? undefined;
  const headDim = config.head_dim ?? (heads && hidden ? hidden / heads : undefined);
  return {
    ...(layers ? { layers } : {}),
    ...(heads ? { heads } : {}),
    ...(kvHeads ? { kvHeads } : {}),
    ...(headDim ? { headDim } : {}),
  };
}

/**
 * Whether the graph's positions follow the attention mask whatever the padding, so rows of different lengths
 * may share a run: true for ALiBi models (BLOOM, MPT, and configs saying `position_embedding_type: "alibi"`),
 * whose recency bias is built from the mask. Graphs that take `position_ids` are fed them and need no such
 * promise; the rest (GPT-2 exports without `position_ids` count positions from the padded length) must not be
 * padded.
 */
export function positionsFollowMask(config: HfConfig): boolean {
  return config.position_embedding_type === 'alibi' || ['bloom', 'mpt'].includes(config.model_type ?? '');
}
