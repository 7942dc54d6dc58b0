/**
 * The realistic encoder of the runtime benchmarks: an all-MiniLM-L6-v2-shaped feature-extraction model (BERT,
 * 6 layers, hidden 384, 12 heads, FFN 1536, a 30,522-row word embedding table, 512 positions; inputs
 * input_ids, attention_mask, token_type_ids; output last_hidden_state) with random weights, written at bench
 * time by models/src/fixtures/bert.ts into a temporary directory (90 MB, not kept).
 *
 * Its WordPiece vocabulary holds every word of the benchmark texts, as bert-base-uncased's does for words this
 * common, so a text is as many tokens long as with the real tokenizer ([CLS], one token per word, [SEP]); the
 * fixture's own small vocabulary would split them into letters and make every text 2-3 times longer.
 * @module
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildBertEncoder } from '../../models/src/fixtures/bert.js';
import { bertTokenizerFiles } from '../../models/src/tokenizers/hf-files.js';
import { trainWordPiece } from '../../models/src/tokenizers/wordpiece.js';

export const MINILM = { layers: 6, hidden: 384, heads: 12, ffn: 1536, vocab: 30_522, maxPositions: 512 };

export interface BenchModelDir {
  readonly dir: string;
  remove(): Promise<void>;
}

/** Writes the MiniLM-shaped model directory, with a vocabulary covering `texts`, into a fresh temp dir. */
export async function writeMiniLM(texts: readonly string[]): Promise<BenchModelDir> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-minilm-'));
  const { graph, config } = buildBertEncoder({ ...MINILM, outputs: ['last_hidden_state'] });
  const files: Record<string, unknown> = {
    'config.json': config,
    ...bertTokenizerFiles(trainWordPiece(texts, { minCount: 1 }), MINILM.maxPositions),
  };
  for (const [name, value] of Object.entries(files)) {
    await writeFile(join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
  }
  await mkdir(join(dir, 'onnx'));
  await writeFile(join(dir, 'onnx', 'model.onnx'), graph);
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}
